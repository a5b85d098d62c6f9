import pytest
from django.test import override_settings

NO_RATE_LIMITS = {
    "interval_seconds": 0,
    "new_account_interval_seconds": 0,
    "new_account_hours": 24,
}


@pytest.fixture(autouse=True)
def _no_posting_rate_limit():
    with override_settings(AGORA_FORUM_RATE_LIMITS=NO_RATE_LIMITS):
        yield
