"""Eligibility: run every rule and report every failure."""
from __future__ import annotations

from chalicelib.carriers.stages import ParcelStage
from chalicelib.models import CreateInterceptRequest, MerchantSettings, ReasonItem
from chalicelib.rules.checks import RULES, RuleInput
from chalicelib.rules.policies import PlatformPolicy, policy_for

__all__ = ["evaluate", "policy_for", "PlatformPolicy"]


def evaluate(request: CreateInterceptRequest, merchant: MerchantSettings | None, policy: PlatformPolicy,
             stage: ParcelStage = ParcelStage.unknown) -> list[ReasonItem]:
    given = RuleInput(request=request, merchant=merchant, policy=policy, stage=stage)
    return [reason for rule in RULES if (reason := rule(given)) is not None]
