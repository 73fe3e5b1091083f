"""The outbox: a failed SMS or email is retried by the workers, given up at its deadline,
kept for operators, and sent again when they ask; never sent twice."""

import time
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.utils import timezone

from accounts.models import AuditEvent
from core import outbox
from core.models import OutboundMessage
from security_info import sms
from tests.accounts.test_admin import verified_operator_client
from tests.factories import make_tenant, make_user
from tests.helpers import Clock, run_together

pytestmark = pytest.mark.django_db

NUMBER = "+31612345678"
Status = OutboundMessage.Status


class FlakyGateway(sms.BaseBackend):
    """Fails the first ``failures`` sends, then takes them (into sms.outbox)."""

    failures = 0

    def send(self, message):
        if FlakyGateway.failures:
            FlakyGateway.failures -= 1
            raise sms.SMSDeliveryError("The SMS gateway answered HTTP 503.")
        sms.outbox.append(message)


class SlowGateway(sms.BaseBackend):
    """Takes a while to answer, as a real one does: long enough for senders to overlap."""

    def send(self, message):
        time.sleep(0.3)
        sms.outbox.append(message)


class DownMailServer(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("connection refused")


@pytest.fixture(autouse=True)
def _backends(settings):
    settings.SMS_BACKEND = f"{__name__}.FlakyGateway"
    settings.OUTBOX_RETRY_SECONDS = 10
    settings.OUTBOX_RETRY_MAX_SECONDS = 3600
    FlakyGateway.failures = 0
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def _sms(**kwargs):
    kwargs.setdefault("kind", "code")
    kwargs.setdefault("deadline", timedelta(minutes=10))
    return outbox.send_sms(NUMBER, "123456 is your code", **kwargs)


def test_a_message_the_gateway_takes_is_sent_at_once_and_its_text_wiped():
    message = _sms()

    assert message.status == Status.SENT
    assert message.attempts == 1
    assert message.payload == ""
    assert [m.body for m in sms.outbox] == ["123456 is your code"]


def test_a_failed_message_waits_sealed_with_its_next_attempt(monkeypatch):
    clock = Clock.install(monkeypatch)
    FlakyGateway.failures = 1

    message = _sms()

    assert message.status == Status.QUEUED
    assert "123456" not in message.payload  # sealed, not plain text
    assert message.next_attempt_at == clock.now + timedelta(seconds=10)


def test_the_workers_retry_after_commit_until_the_gateway_takes_it(
    django_capture_on_commit_callbacks,
):
    FlakyGateway.failures = 3

    with django_capture_on_commit_callbacks(execute=True):
        message = _sms()

    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.attempts == 4
    assert len(sms.outbox) == 1


def test_the_delay_doubles_up_to_the_ceiling(settings):
    settings.OUTBOX_RETRY_MAX_SECONDS = 50

    assert [outbox._delay(n) for n in range(1, 6)] == [10, 20, 40, 50, 50]


def test_a_code_is_given_up_before_a_retry_would_pass_its_expiry(
    django_capture_on_commit_callbacks,
):
    FlakyGateway.failures = 100

    with django_capture_on_commit_callbacks(execute=True):
        message = _sms(secret=True)

    message.refresh_from_db()
    assert message.status == Status.DEAD
    # The retries run at once here, so only the growing delay ends them: after the
    # 7th try the next would come 640 s later, past the code's 10 minutes.
    assert message.attempts == 7
    assert message.payload == ""
    assert "HTTP 503" in message.last_error
    assert sms.outbox == []


def test_an_email_with_an_attachment_survives_the_wait(settings):
    settings.EMAIL_BACKEND = f"{__name__}.DownMailServer"
    email = EmailMessage("Invoice INV-1", "Your invoice", to=["ap@example.org"], bcc=["b@x.org"])
    email.attach("INV-1.pdf", b"%PDF-1.4 \x00\xff", "application/pdf")

    message = outbox.send_email(email, kind="invoice")
    assert message.status == Status.QUEUED
    assert message.recipients == "ap@example.org, b@x.org"

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbox.deliver(message.pk) == Status.SENT
    sent = mail.outbox[-1]
    assert (sent.subject, sent.to, sent.bcc) == ("Invoice INV-1", ["ap@example.org"], ["b@x.org"])
    assert sent.attachments == [("INV-1.pdf", b"%PDF-1.4 \x00\xff", "application/pdf")]


def test_delivering_a_sent_message_again_sends_nothing():
    message = _sms()

    assert outbox.deliver(message.pk) is None
    assert len(sms.outbox) == 1


def test_the_sweeper_sends_a_late_message_whose_task_was_lost():
    FlakyGateway.failures = 1
    late = _sms()
    OutboundMessage.objects.filter(pk=late.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=2)
    )
    FlakyGateway.failures = 1
    not_yet = _sms()

    assert outbox.retry_due() == 1

    late.refresh_from_db()
    not_yet.refresh_from_db()
    assert late.status == Status.SENT
    assert not_yet.status == Status.QUEUED


def test_the_sweeper_removes_sent_messages_after_thirty_days():
    old = _sms()
    OutboundMessage.objects.filter(pk=old.pk).update(sent_at=timezone.now() - timedelta(days=31))
    recent = _sms()

    outbox.retry_due()

    assert list(OutboundMessage.objects.all()) == [recent]


# --- operators ---------------------------------------------------------------------


def _given_up_notice(settings):
    settings.EMAIL_BACKEND = f"{__name__}.DownMailServer"
    message = outbox.send_email(
        EmailMessage("Incident", "Mail is slow", bcc=["it@example.org"]), kind="incident notice"
    )
    outbox._give_up(message, "ConnectionRefusedError: connection refused")
    message.save()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return message


def test_operators_see_given_up_messages_with_the_error_and_a_masked_number(client, settings):
    FlakyGateway.failures = 100
    code = _sms(secret=True)
    outbox._give_up(code, "SMSDeliveryError: The SMS gateway answered HTTP 503.")
    code.save()
    verified_operator_client(client)

    page = client.get("/operators/core/outboundmessage/?status__exact=dead")

    content = page.content.decode()
    assert page.status_code == 200
    assert "+31*******78" in content
    assert NUMBER not in content
    assert "HTTP 503" in content


def test_an_operator_sends_a_given_up_notice_again_and_it_is_audited(
    client, settings, django_capture_on_commit_callbacks
):
    notice = _given_up_notice(settings)
    verified_operator_client(client)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/operators/core/outboundmessage/",
            {"action": "send_again", "_selected_action": [notice.pk]},
            follow=True,
        )

    assert "Messages queued to be sent again: 1." in response.content.decode()
    notice.refresh_from_db()
    assert notice.status == Status.SENT
    assert mail.outbox[-1].bcc == ["it@example.org"]
    assert AuditEvent.objects.filter(
        action="operator.outbox.resend", target_id=str(notice.pk)
    ).exists()


def test_a_given_up_code_cannot_be_sent_again(client):
    FlakyGateway.failures = 100
    code = _sms(secret=True)
    outbox._give_up(code, "gave up")
    code.save()
    verified_operator_client(client)

    response = client.post(
        "/operators/core/outboundmessage/",
        {"action": "send_again", "_selected_action": [code.pk]},
        follow=True,
    )

    assert "Nothing to send" in response.content.decode()
    code.refresh_from_db()
    assert code.status == Status.DEAD


def test_tenant_admins_have_no_outbox(client):
    admin = make_user(make_tenant(), roles=["global_admin"])
    client.force_login(admin)

    response = client.get("/operators/core/outboundmessage/")

    assert response.status_code in (302, 403)


# --- never twice -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL row locks (run with DATABASE_URL=postgres://...)",
)
def test_a_retry_and_the_sweeper_at_once_send_a_message_once(settings, monkeypatch):
    FlakyGateway.failures = 1
    with monkeypatch.context() as patch:
        patch.setattr(outbox, "_schedule", lambda message: None)  # the retry waits for us
        message = _sms()
    assert message.status == Status.QUEUED
    settings.SMS_BACKEND = f"{__name__}.SlowGateway"
    results = run_together(*[lambda: outbox.deliver(message.pk)] * 10)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert len(sms.outbox) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 2)
