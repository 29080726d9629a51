"""Merchant settings: the one reader and writer of a merchant's interception set-up, per platform.

Create and the dry run read settings here (strongly consistent, so a PUT is seen by the next
create); the settings routes read and replace them here. A PUT replaces the whole document under
optimistic concurrency (`version`): 0 (or absent) creates, otherwise it must equal the stored
version; each write increments it.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from chalicelib.clock import Clock, to_iso
from chalicelib.domain.models import MerchantSettings, Platform
from chalicelib.errors import BadRequest, Conflict, NotFound
from chalicelib.store import VersionConflict
from chalicelib.store.merchant_settings import MerchantStore

if TYPE_CHECKING:  # request bodies: only the API loads pydantic (chalicelib/domain/records.py)
    from chalicelib.domain.requests import MerchantSettingsUpdate

_MERCHANT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")


class MerchantSettingsService:
    def __init__(self, store: MerchantStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def find(self, platform: Platform, merchant_id: str) -> MerchantSettings | None:
        """The merchant's settings, or None when it has none (the rules then refuse)."""
        return self._store.get(platform.id, merchant_id)

    def get(self, platform: Platform, merchant_id: str) -> MerchantSettings:
        found = self.find(platform, valid_merchant_id(merchant_id))
        if found is None:
            raise NotFound(f"no settings for merchant {merchant_id}")
        return found

    def put(self, platform: Platform, merchant_id: str, update: MerchantSettingsUpdate) -> MerchantSettings:
        merchant_id = valid_merchant_id(merchant_id)
        for prefix, bounds in (("", update), ("auto_intercept.", update.auto_intercept)):
            if bounds and bounds.amount_min is not None and bounds.amount_max is not None \
                    and bounds.amount_min > bounds.amount_max:
                raise BadRequest("request body is invalid",
                                 fields=[{"field": f"{prefix}amount_max", "problem": "must be at least amount_min"}])
        _check_carrier_accounts(update)
        settings = MerchantSettings(merchant_id=merchant_id, **update.model_dump(exclude={"version"}),
                                    version=update.version + 1, updated_at=to_iso(self._clock.now()))
        try:
            self._store.save(platform.id, settings, expected_version=update.version)
        except VersionConflict as conflict:
            raise Conflict(f"the settings are at version {conflict.current_version}; read them and retry",
                           code="version_conflict", current_version=conflict.current_version) from None
        return settings


def _check_carrier_accounts(update: MerchantSettingsUpdate) -> None:
    """Each account's fields are ones a route to its carrier takes, and none of them a secret one
    (secrets live in the secret store, named by `secret_ref`, never in the table)."""
    from chalicelib.carriers import declarations, routes_to
    from chalicelib.dispatch.accounts import SECRET_PREFIX

    problems = []
    for carrier, account in update.carrier_accounts.items():
        if account.secret_ref is not None and not account.secret_ref.startswith(SECRET_PREFIX):
            problems.append({"field": f"carrier_accounts.{carrier.value}.secret_ref",
                             "problem": f"must name a secret under {SECRET_PREFIX}"})
        specs = [spec for route in routes_to(carrier.value) if (spec := declarations()[route].merchant_account)]
        known = {name for spec in specs for name in spec.fields}
        secret = {name for spec in specs for name in spec.secret}
        for name in account.fields:
            where = f"carrier_accounts.{carrier.value}.fields.{name}"
            if name in secret:
                problems.append({"field": where, "problem": "is secret: store it in the secret named by secret_ref"})
            elif name not in known:
                problems.append({"field": where, "problem": f"is not an account field of {carrier.value}'s routes "
                                                           f"(they take {', '.join(sorted(known)) or 'none'})"})
    if problems:
        raise BadRequest("request body is invalid", fields=problems)


def valid_merchant_id(merchant_id: str) -> str:
    if not _MERCHANT_ID.match(merchant_id or ""):
        raise BadRequest("merchant_id is invalid", fields=[{
            "field": "merchant_id", "problem": "must be 1-64 letters, digits or _.:- starting with a letter or digit"}])
    return merchant_id
