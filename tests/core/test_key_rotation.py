"""Key rotation: what was sealed under an earlier SECRET_KEY stays readable while that key
is a fallback, new data is sealed under the current key, and one row no key can read never
stops a sweep. And a mail server that hangs never holds a worker (EMAIL_TIMEOUT)."""

import logging
import socket
import threading
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import check_password
from django.core.mail import EmailMessage, get_connection
from django.urls import reverse
from django.utils import timezone

from core import outbox, sealing
from core.models import OutboundMessage
from security_info import sms
from tests.admin_portal.test_settings import _manage
from tests.factories import make_tenant, make_user

OLD_KEY = "the-key-of-last-year-" * 3
NEW_KEY = "the-key-of-this-year-" * 3
LOST_KEY = "a-key-nobody-kept-any-more-" * 3
NUMBER = "+31612345678"
Status = OutboundMessage.Status


@pytest.fixture
def old_key(settings):
    settings.SECRET_KEY = OLD_KEY
    settings.SECRET_KEY_FALLBACKS = []
    return settings


def _rotate(settings):
    settings.SECRET_KEY = NEW_KEY
    settings.SECRET_KEY_FALLBACKS = [OLD_KEY]


def test_a_value_sealed_under_the_old_key_is_read_under_its_fallback(old_key):
    token = sealing.seal({"code": "123456"}, purpose="p")
    _rotate(old_key)

    assert sealing.unseal(token, purpose="p", max_age=60) == {"code": "123456"}


def test_without_the_fallback_the_old_value_is_unreadable(old_key):
    token = sealing.seal("x", purpose="p")
    old_key.SECRET_KEY = NEW_KEY

    with pytest.raises(sealing.SealBroken):
        sealing.unseal(token, purpose="p", max_age=60)


def test_any_fallback_in_the_list_reads_its_own_values(old_key):
    token = sealing.seal("x", purpose="p")
    old_key.SECRET_KEY = NEW_KEY
    old_key.SECRET_KEY_FALLBACKS = ["an-even-newer-one-" * 3, OLD_KEY]

    assert sealing.unseal(token, purpose="p", max_age=60) == "x"


def test_new_values_are_sealed_under_the_current_key(old_key):
    _rotate(old_key)
    token = sealing.seal("x", purpose="p")

    # Readable once the old key is gone for good...
    old_key.SECRET_KEY_FALLBACKS = []
    assert sealing.unseal(token, purpose="p", max_age=60) == "x"
    # ...and not under the old key alone.
    old_key.SECRET_KEY = OLD_KEY
    with pytest.raises(sealing.SealBroken):
        sealing.unseal(token, purpose="p", max_age=60)


def test_a_fallback_does_not_widen_the_purpose(old_key):
    token = sealing.seal("x", purpose="a")
    _rotate(old_key)

    with pytest.raises(sealing.SealBroken):
        sealing.unseal(token, purpose="b", max_age=60)


# --- the outbox sweep -------------------------------------------------------------


class DownGateway(sms.BaseBackend):
    down = True

    def send(self, message):
        if DownGateway.down:
            raise sms.SMSDeliveryError("The SMS gateway answered HTTP 503.")
        sms.outbox.append(message)


@pytest.fixture
def gateway(settings):
    settings.SMS_BACKEND = f"{__name__}.DownGateway"
    settings.OUTBOX_RETRY_SECONDS = 10
    DownGateway.down = True
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def _late_sms(body, **kwargs):
    message = outbox.send_sms(NUMBER, body, kind="notice", deadline=timedelta(hours=1), **kwargs)
    assert message.status == Status.QUEUED
    OutboundMessage.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=5)
    )
    return message


@pytest.mark.django_db
def test_messages_queued_before_a_key_rotation_are_sent_after_it(old_key, gateway):
    waiting = _late_sms("sealed under the old key")
    _rotate(old_key)
    DownGateway.down = False

    assert outbox.retry_due() == 1

    waiting.refresh_from_db()
    assert waiting.status == Status.SENT
    assert [m.body for m in sms.outbox] == ["sealed under the old key"]


@pytest.mark.django_db
def test_one_unreadable_message_never_stops_the_sweep(old_key, gateway, caplog):
    first = _late_sms("first")
    old_key.SECRET_KEY = LOST_KEY
    lost = _late_sms("sealed under a key nobody kept")
    old_key.SECRET_KEY = OLD_KEY
    last = _late_sms("last")
    _rotate(old_key)  # OLD_KEY stays a fallback; LOST_KEY is gone
    DownGateway.down = False

    with caplog.at_level(logging.ERROR, logger="core.outbox"):
        assert outbox.retry_due() == 3

    for message in (first, lost, last):
        message.refresh_from_db()
    assert (first.status, last.status) == (Status.SENT, Status.SENT)
    assert sorted(m.body for m in sms.outbox) == ["first", "last"]
    # Given up at once (no key will ever read it), its sealed text kept for an
    # operator who restores the key, logged without the text, and counted.
    assert lost.status == Status.DEAD
    assert lost.last_error == outbox.UNREADABLE
    assert lost.payload != ""
    assert any(f"Outbound message {lost.pk} " in r.getMessage() for r in caplog.records)
    assert any("1 unreadable" in r.getMessage() for r in caplog.records)
    assert "nobody kept" not in caplog.text


@pytest.mark.django_db
def test_an_unreadable_code_is_given_up_and_wiped(old_key, gateway):
    old_key.SECRET_KEY = LOST_KEY
    code = _late_sms("123456 is your code", secret=True)
    old_key.SECRET_KEY = NEW_KEY

    assert outbox.deliver(code.pk) == Status.DEAD

    code.refresh_from_db()
    assert code.payload == ""
    assert code.next_attempt_at is None


@pytest.mark.django_db
def test_a_message_that_breaks_the_sender_is_skipped_and_the_rest_go_on(
    gateway, monkeypatch, caplog
):
    first = _late_sms("first")
    broken = _late_sms("broken")
    last = _late_sms("last")
    DownGateway.down = False
    real_deliver = outbox.deliver

    def deliver(pk):
        if pk == broken.pk:
            raise RuntimeError("a bug of its own")
        return real_deliver(pk)

    monkeypatch.setattr(outbox, "deliver", deliver)

    with caplog.at_level(logging.ERROR, logger="core.outbox"):
        assert outbox.retry_due() == 2

    first.refresh_from_db()
    last.refresh_from_db()
    assert (first.status, last.status) == (Status.SENT, Status.SENT)
    assert any("1 failed" in r.getMessage() for r in caplog.records)


# --- imports and exports across a rotation ----------------------------------------


@pytest.mark.django_db
def test_import_passwords_sealed_before_a_rotation_are_set_after_it(old_key):
    from users import services as user_services
    from users.models import ImportJob

    tenant = make_tenant()
    user = make_user(tenant, "imported")
    job = ImportJob.objects.create(
        tenant=tenant,
        total=1,
        sealed_passwords=sealing.seal(
            [[user.pk, "One-Time-Pass-77"]], purpose=user_services.IMPORT_SEAL_PURPOSE
        ),
    )
    _rotate(old_key)

    user_services.import_passwords_set(job_id=job.pk)

    job.refresh_from_db()
    user.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert check_password("One-Time-Pass-77", user.password)


@pytest.mark.django_db
def test_an_export_file_sealed_before_a_rotation_is_still_handed_out(old_key, client):
    from accounts.roles import GLOBAL_ADMIN
    from users import services as user_services
    from users.models import ExportJob

    tenant = make_tenant()
    admin = make_user(tenant, "admin", roles=[GLOBAL_ADMIN])
    job = ExportJob.objects.create(
        tenant=tenant,
        created_by=admin,
        params={},
        total=1,
        written=1,
        status=ExportJob.Status.DONE,
        finished_at=timezone.now(),
        sealed_file=sealing.seal("User Name\r\nx@y\r\n", purpose=user_services.EXPORT_SEAL_PURPOSE),
    )
    _rotate(old_key)
    client.force_login(admin)

    response = client.get(reverse("users:export_download", args=[job.pk]))

    assert response.status_code == 200
    assert response.content.decode().startswith("User Name")


# --- settings from the environment -------------------------------------------------


def test_secret_key_fallbacks_and_email_timeout_come_from_the_environment():
    script = (
        "from django.conf import settings; "
        "print(settings.SECRET_KEY_FALLBACKS); print(settings.EMAIL_TIMEOUT)"
    )
    default = _manage("shell", "-v", "0", "-c", script)
    assert default.returncode == 0, default.stderr
    assert default.stdout.split("\n")[:2] == ["[]", "10.0"]

    given = _manage(
        "shell",
        "-v",
        "0",
        "-c",
        script,
        SECRET_KEY_FALLBACKS="older-key-1, older-key-2",
        EMAIL_TIMEOUT="3",
    )
    assert given.returncode == 0, given.stderr
    assert given.stdout.split("\n")[:2] == ["['older-key-1', 'older-key-2']", "3.0"]


# --- a hung mail server ------------------------------------------------------------


@pytest.fixture
def hung_mail_server():
    """A server that accepts connections and never says a word (not even SMTP's 220)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


def test_email_timeout_reaches_the_smtp_backend(settings):
    settings.EMAIL_TIMEOUT = 7

    backend = get_connection("django.core.mail.backends.smtp.EmailBackend")

    assert backend.timeout == 7


@pytest.mark.django_db
def test_a_hung_mail_server_fails_the_try_and_the_outbox_retries_later(settings, hung_mail_server):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = hung_mail_server
    settings.EMAIL_TIMEOUT = 0.5

    message = outbox.send_email(EmailMessage("Hello", "Body", to=["a@example.org"]), kind="notice")

    assert message.status == Status.QUEUED
    assert "timed out" in message.last_error
