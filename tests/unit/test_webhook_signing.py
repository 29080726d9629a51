"""Our Standard Webhooks signer against the reference library, and the retry schedule."""
from datetime import datetime, timezone

from standardwebhooks.webhooks import Webhook

from chalicelib.webhooks.delivery import RetrySchedule
from chalicelib.webhooks.endpoints import signing_secrets
from chalicelib.webhooks.signing import new_secret, signature, signed_headers


def test_the_reference_library_signs_exactly_like_us():
    secret = new_secret()
    stamp = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
    body = '{"type":"refund.timeout"}'
    assert signature(secret, "msg_1", int(stamp.timestamp()), body) == Webhook(secret).sign("msg_1", stamp, body)


def test_each_valid_secret_signs():
    first, second = new_secret(), new_secret()
    headers = signed_headers([first, second], "msg_1", 1_790_000_000, "{}")
    assert headers["webhook-signature"].count("v1,") == 2


def test_expired_secrets_stop_signing():
    endpoint = {"secrets": [{"secret": "new"}, {"secret": "old", "expires_at": "2026-11-24T08:00:00.000Z"}]}
    assert signing_secrets(endpoint, datetime(2026, 11, 24, 7, 59, tzinfo=timezone.utc)) == ["new", "old"]
    assert signing_secrets(endpoint, datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc)) == ["new"]


def test_backoff_grows_exponentially_to_twelve_hours_with_jitter():
    schedule = RetrySchedule()
    middle = [schedule.delay(attempt, rand=lambda low, high: 1.0) for attempt in range(1, 10)]
    assert middle == [5, 20, 80, 320, 1280, 5120, 20480, 43200, 43200]
    assert schedule.delay(3, rand=lambda low, high: low) == 64
    assert schedule.delay(3, rand=lambda low, high: high) == 96
