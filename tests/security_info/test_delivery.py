"""Sending codes: the sending limits, allowed countries and gateway failures."""

import smtplib
from types import SimpleNamespace

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from core import outbox
from core.models import OutboundMessage
from security_info import delivery, services, sms
from security_info.delivery import DeliveryError, Purpose
from security_info.models import PhoneDevice
from tests.factories import make_tenant, make_user
from tests.helpers import code_in, last_sms_code, make_alt_email, make_phone, run_together

pytestmark = pytest.mark.django_db

MOBILE = "+31612345678"
BELGIAN_MOBILE = "+32470123456"


class FailingGateway:
    """An SMS gateway that is down (named by dotted path in SMS_BACKEND)."""

    def send(self, message):
        raise sms.SMSDeliveryError("The SMS gateway answered HTTP 503.")


class FailingEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("connection closed")


@pytest.fixture(autouse=True)
def _outboxes(settings):
    settings.SMS_BACKEND = "locmem"
    settings.SMS_ALLOWED_CALLING_CODES = [1, 31, 32, 33, 44, 49]
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def user():
    return make_user(make_tenant())


def _error(callable_, *args, **kwargs):
    with pytest.raises(DeliveryError) as caught:
        callable_(*args, **kwargs)
    return caught.value


def _numbers(count):
    return [f"+3161234{n:04d}" for n in range(count)]


# --- What is sent -----------------------------------------------------------------


def test_phone_code_goes_by_sms_with_its_purpose(user):
    phone = make_phone(user, MOBILE, confirmed=False)

    delivery.send_phone_code(phone, purpose=Purpose.VERIFY)

    [message] = sms.outbox
    assert message.to == MOBILE
    phone.refresh_from_db()
    assert code_in(message.body) == phone.token
    assert "verify this method" in message.body
    assert "expires in 10 minutes" in message.body


def test_email_code_goes_to_the_address(user):
    email = make_alt_email(user, "megan@example.org", confirmed=False)

    delivery.send_email_code(email, purpose=Purpose.VERIFY)

    [message] = mail.outbox
    assert message.to == ["megan@example.org"]
    email.refresh_from_db()
    assert code_in(message.body) == email.token
    assert sms.outbox == []


# --- Sending limits ---------------------------------------------------------------


def test_at_most_three_sms_per_number_in_ten_minutes(user):
    phone = make_phone(user, MOBILE, confirmed=False)
    for _ in range(3):
        delivery.send_phone_code(phone, purpose=Purpose.VERIFY)
    code = phone.token

    error = _error(delivery.send_phone_code, phone, purpose=Purpose.VERIFY)

    assert error.code == "limit"
    assert "too many codes" in error.message
    assert len(sms.outbox) == 3
    phone.refresh_from_db()
    assert phone.token == code  # the last code sent still works


def test_number_limit_counts_every_user(user):
    other = make_user(user.tenant)
    for n in range(3):
        delivery.send_phone_code(
            make_phone(make_user(user.tenant), MOBILE, confirmed=False), purpose=Purpose.VERIFY
        )
        assert len(sms.outbox) == n + 1

    error = _error(
        delivery.send_phone_code, make_phone(other, MOBILE, confirmed=False), purpose="verify"
    )

    assert error.code == "limit"
    assert len(sms.outbox) == 3


def test_at_most_ten_sms_per_user_per_day(user):
    numbers = _numbers(4)
    for number in numbers:
        phone = make_phone(user, number, confirmed=False)
        for _ in range(3 if number != numbers[-1] else 1):
            delivery.send_phone_code(phone, purpose=Purpose.VERIFY)
    assert len(sms.outbox) == 10

    fresh = make_phone(user, "+31698765432", confirmed=False)
    error = _error(delivery.send_phone_code, fresh, purpose=Purpose.SIGN_IN)

    assert error.code == "limit"
    assert len(sms.outbox) == 10
    fresh.refresh_from_db()
    assert fresh.token is None


def test_sign_in_codes_count_toward_the_limits(user):
    phone = make_phone(user, MOBILE)
    for _ in range(3):
        phone.generate_challenge()

    with pytest.raises(DeliveryError):
        phone.generate_challenge()
    assert len(sms.outbox) == 3


def test_at_most_three_email_codes_per_address(user):
    email = make_alt_email(user, "megan@example.org", confirmed=False)
    for _ in range(3):
        delivery.send_email_code(email, purpose=Purpose.VERIFY)

    error = _error(delivery.send_email_code, email, purpose=Purpose.VERIFY)

    assert error.code == "limit"
    assert len(mail.outbox) == 3


def test_limit_through_the_service_saves_nothing(user):
    for _ in range(3):
        services.phone_method_start(user=user, raw_number=MOBILE)
        services.phone_method_delete(user=user)

    with pytest.raises(DeliveryError):
        services.phone_method_start(user=user, raw_number=MOBILE)

    assert not PhoneDevice.objects.filter(user=user).exists()
    assert len(sms.outbox) == 3


def test_limits_hold_under_parallel_requests():
    # Twenty requests for one number at the same moment: the count is taken
    # atomically in the cache, so no more than three get through.
    person = SimpleNamespace(pk=987654)

    results = run_together(*[lambda: delivery._reserve("sms", MOBILE, person)] * 20)

    assert results.count(None) == 3
    assert all(isinstance(r, DeliveryError) for r in results if r is not None)


# --- Allowed countries ------------------------------------------------------------


def test_sms_to_a_country_that_is_not_allowed_is_refused_at_send_time(user, settings):
    phone = make_phone(user, BELGIAN_MOBILE)
    settings.SMS_ALLOWED_CALLING_CODES = [31]

    error = _error(delivery.send_phone_code, phone, purpose=Purpose.SIGN_IN)

    assert error.code == "country_not_allowed"
    assert sms.outbox == []
    phone.refresh_from_db()
    assert phone.token is None


def test_sms_to_an_allowed_country_is_sent(user, settings):
    settings.SMS_ALLOWED_CALLING_CODES = [31]

    delivery.send_phone_code(make_phone(user, MOBILE), purpose=Purpose.SIGN_IN)

    assert len(sms.outbox) == 1


def test_empty_allowed_list_allows_every_country(user, settings):
    settings.SMS_ALLOWED_CALLING_CODES = []

    delivery.send_phone_code(make_phone(user, "+447700900123"), purpose=Purpose.SIGN_IN)

    assert len(sms.outbox) == 1


# --- Gateway failures -------------------------------------------------------------


def test_gateway_failure_queues_the_code_and_says_so(user, settings):
    settings.SMS_BACKEND = f"{__name__}.FailingGateway"
    phone = make_phone(user, MOBILE)

    message = delivery.send_phone_code(phone, purpose=Purpose.SIGN_IN)

    assert message.status == OutboundMessage.Status.QUEUED
    assert message.attempts == 1
    assert "HTTP 503" in message.last_error
    assert delivery.delivery_notice(phone).startswith(
        "The text message service isn't answering right now."
    )
    phone.refresh_from_db()
    assert phone.token is not None  # valid until it expires: it may still arrive


def test_a_queued_code_arrives_when_the_gateway_is_back_and_works(user, settings):
    settings.SMS_BACKEND = f"{__name__}.FailingGateway"
    services.phone_method_start(user=user, raw_number=MOBILE)
    message = OutboundMessage.objects.get()

    settings.SMS_BACKEND = "locmem"
    assert outbox.deliver(message.pk) == OutboundMessage.Status.SENT

    message.refresh_from_db()
    assert message.attempts == 2
    assert message.payload == ""  # the text is wiped once sent
    pending = services.pending_method(services.PHONE, user)
    assert delivery.delivery_notice(pending) == ""
    assert services.phone_method_verify(user=user, code=last_sms_code()).confirmed


def test_a_code_the_gateway_never_took_is_given_up_at_its_expiry(user, settings):
    settings.SMS_BACKEND = f"{__name__}.FailingGateway"
    phone = make_phone(user, MOBILE)
    message = delivery.send_phone_code(phone, purpose=Purpose.SIGN_IN)
    OutboundMessage.objects.filter(pk=message.pk).update(deadline=timezone.now())

    assert outbox.deliver(message.pk) == OutboundMessage.Status.DEAD

    message.refresh_from_db()
    assert message.payload == ""  # a code is never kept for a resend
    assert message.last_error == "The deadline passed before it could be sent."
    assert delivery.delivery_notice(phone) == "We couldn't send the code. Ask for a new code later."
    assert sms.outbox == []


def test_gateway_failure_keeps_the_pending_phone_and_the_verified_one(user, settings):
    services.phone_method_start(user=user, raw_number=MOBILE)
    verified = services.phone_method_verify(user=user, code=last_sms_code())
    before = PhoneDevice.objects.filter(pk=verified.pk).values().get()
    settings.SMS_BACKEND = f"{__name__}.FailingGateway"

    pending = services.phone_method_start(user=user, raw_number="+31687654321")

    assert pending.number == "+31687654321"
    assert not pending.confirmed
    assert PhoneDevice.objects.filter(pk=verified.pk).values().get() == before


def test_gateway_failure_on_resend_queues_the_new_code(user, settings):
    services.phone_method_start(user=user, raw_number=MOBILE)
    settings.SMS_BACKEND = f"{__name__}.FailingGateway"

    services.phone_method_resend(user=user)

    queued = OutboundMessage.objects.filter(status=OutboundMessage.Status.QUEUED).get()
    settings.SMS_BACKEND = "locmem"
    outbox.deliver(queued.pk)
    assert len(sms.outbox) == 2
    assert services.phone_method_verify(user=user, code=last_sms_code()).confirmed


def test_email_failure_queues_the_code_for_the_pending_address(user, settings):
    settings.EMAIL_BACKEND = f"{__name__}.FailingEmailBackend"

    pending = services.email_method_start(user=user, raw_email="megan@example.org")

    assert pending.email == "megan@example.org"
    assert delivery.delivery_notice(pending).startswith(
        "The email service isn't answering right now."
    )
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    outbox.deliver(OutboundMessage.objects.get().pk)
    assert mail.outbox[-1].to == ["megan@example.org"]
