import pytest

from security_info import sms
from tests.factories import make_user


@pytest.fixture(autouse=True)
def _outboxes(settings):
    """Keep text messages in security_info.sms.outbox, with the usual calling codes."""
    settings.SMS_BACKEND = "locmem"
    settings.SMS_ALLOWED_CALLING_CODES = [1, 31, 32, 33, 44, 49]
    settings.SECURITY_INFO_EMAIL_CHECK_DELIVERABILITY = False
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def member(tenant):
    return make_user(tenant, "mia", display_name="Mia Member")
