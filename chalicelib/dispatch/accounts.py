"""The merchant's own carrier account for a dispatch: the non-secret fields from its settings, the
secret ones from AWS Secrets Manager (a JSON object under the name the settings give as
`secret_ref`), cached per container for `SECRET_TTL_SECONDS` by the same single-flight cache the
API keys use. Secret values are never logged: only the carrier and the missing field names are.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Mapping

from chalicelib.carriers.base import CarrierAccountFault
from chalicelib.clock import Clock
from chalicelib.domain.models import Intercept
from chalicelib.store.merchant_settings import MerchantStore
from chalicelib.ttl_cache import TtlCache

#: Every carrier-account secret's name starts with this (the dispatch role may read only these).
SECRET_PREFIX = "intercept-gateway/carrier-accounts/"
#: A rotated secret reaches every warm dispatch container within this long.
SECRET_TTL_SECONDS = 300
ACCOUNT_MISSING = "carrier_account_missing"


class MerchantAccounts:
    def __init__(self, merchants: MerchantStore, read_secret: Callable[[str], str], clock: Clock,
                 needs: Mapping[str, Any], served: Mapping[str, Any] | None = None) -> None:
        self._merchants = merchants
        self._read_secret = read_secret
        self._needs = needs    # carrier -> its route's MerchantAccount (chalicelib.carriers.merchant_accounts)
        #: the same for carriers whose platform-level account serves merchants without their own
        self._served = served or {}
        self._secrets: TtlCache[dict] = TtlCache(clock, SECRET_TTL_SECONDS, max_entries=256)

    def for_record(self, record: Intercept) -> dict[str, str] | None:
        """The account the record's route takes, or None where the platform-level one serves (the
        route takes none, or the merchant has none of its own and the settings hold one)."""
        carrier = record.carrier.value
        spec = self._needs.get(carrier) or self._served.get(carrier)
        if spec is None:
            return None
        settings = self._merchants.get(record.platform_id, record.merchant_id)
        account = settings.carrier_accounts.get(record.carrier) if settings else None
        if account is None and carrier not in self._needs:
            return None
        secret = self._secrets.get(account.secret_ref, lambda: self._secret(account.secret_ref)) \
            if account and account.secret_ref else {}
        found = {**(account.fields if account else {}),
                 **{name: str(value) for name, value in (secret or {}).items() if name in spec.secret}}
        missing = [name for name in spec.required if not found.get(name)]
        if missing:
            raise CarrierAccountFault(f"{ACCOUNT_MISSING}: the merchant's {record.carrier.value} account lacks "
                                      f"{', '.join(missing)}", ACCOUNT_MISSING)
        return found

    def _secret(self, name: str) -> dict:
        from botocore.exceptions import ClientError

        try:
            value = json.loads(self._read_secret(name))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise  # throttled or unreachable: retried like the carrier being down
            raise CarrierAccountFault(f"{ACCOUNT_MISSING}: no secret {name}", ACCOUNT_MISSING) from None
        except ValueError:
            value = None
        if not isinstance(value, dict):
            raise CarrierAccountFault(f"{ACCOUNT_MISSING}: the secret {name} is not a JSON object of account fields",
                                      ACCOUNT_MISSING)
        return value


def secrets_manager_reader(client: Any) -> Callable[[str], str]:
    return lambda name: client.get_secret_value(SecretId=name)["SecretString"]
