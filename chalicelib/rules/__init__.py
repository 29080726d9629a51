"""Eligibility: run every rule and report every failure, plus what the caller should expect."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.domain.models import MerchantSettings, ReasonItem
from chalicelib.domain.stages import ParcelStage
from chalicelib.rules.checks import RULES, WARNINGS, RuleInput
from chalicelib.rules.policies import PlatformPolicy, policy_for

if TYPE_CHECKING:  # request bodies: only the API loads pydantic (chalicelib/domain/records.py)
    from chalicelib.domain.requests import CreateInterceptRequest

__all__ = ["Assessment", "assess", "evaluate", "policy_for", "PlatformPolicy"]


@dataclass(frozen=True)
class Assessment:
    reasons: list[ReasonItem]
    warnings: list[ReasonItem]
    stage: ParcelStage


def assess(request: CreateInterceptRequest, merchant: MerchantSettings | None, policy: PlatformPolicy,
           stage: ParcelStage = ParcelStage.unknown) -> Assessment:
    given = RuleInput(request=request, merchant=merchant, policy=policy, stage=stage)
    return Assessment(reasons=[reason for rule in RULES if (reason := rule(given)) is not None],
                      warnings=[warning for check in WARNINGS if (warning := check(given)) is not None],
                      stage=stage)


def evaluate(request: CreateInterceptRequest, merchant: MerchantSettings | None, policy: PlatformPolicy,
             stage: ParcelStage = ParcelStage.unknown) -> list[ReasonItem]:
    return assess(request, merchant, policy, stage).reasons
