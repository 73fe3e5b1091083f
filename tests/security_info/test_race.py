"""Parallel submissions of one right code: exactly one of them uses it.

Needs PostgreSQL: the row locks (SELECT ... FOR UPDATE) and the conditional
UPDATE are what make verification atomic, and SQLite has neither the locks nor
real concurrent writers.
"""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.test import override_settings

from accounts.models import User
from security_info import passkeys, services, sms
from security_info.models import BackupCodeDevice, PasskeyDevice, PhoneDevice
from tests.factories import make_tenant, make_user
from tests.helpers import make_phone, run_together
from tests.security_info.authenticator import SoftAuthenticator

PARALLEL = 20

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL row locks (run with DATABASE_URL=postgres://...)",
    ),
]


def _at_once(work):
    """Run ``work`` in PARALLEL threads released together; return their results."""
    return run_together(*[work] * PARALLEL)


def test_one_phone_code_submitted_twenty_times_at_once_verifies_once():
    user = make_user(make_tenant())
    pending = make_phone(user, confirmed=False)
    code = pending.issue_code()

    def verify():
        # Each request loads the user afresh, as a request would.
        return services.phone_method_verify(user=User.objects.get(pk=user.pk), code=code)

    results = _at_once(verify)

    verified = [r for r in results if isinstance(r, PhoneDevice)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(verified) == 1, results
    assert len(refused) == PARALLEL - 1, results
    assert {e.code for e in refused} <= {"no_pending", "wrong_code", "throttled"}
    [phone] = PhoneDevice.objects.filter(user=user)
    assert phone.confirmed and phone.pk == pending.pk


def test_one_backup_code_submitted_twenty_times_at_once_works_once():
    user = make_user(make_tenant())
    codes = services.backup_codes_generate(user=user)
    device_id = BackupCodeDevice.objects.get(user=user).pk
    # Loaded before the start: every request passes the back-off check, so only
    # the conditional UPDATE stands between them.
    devices = [BackupCodeDevice.objects.get(pk=device_id) for _ in range(PARALLEL)]
    connections.close_all()
    slots = iter(devices)
    lock = threading.Lock()

    def verify():
        with lock:
            device = next(slots)
        return device.verify_token(codes[0])

    results = _at_once(verify)

    assert results.count(True) == 1, results
    assert results.count(False) == PARALLEL - 1, results
    assert BackupCodeDevice.objects.get(pk=device_id).remaining == 9


@override_settings(SMS_BACKEND="locmem", SMS_ALLOWED_CALLING_CODES=[31])
def test_double_clicked_send_code_leaves_one_pending_number():
    # Two pending rows would each get a code, and the one the user types might be
    # checked against the other row.
    user = make_user(make_tenant())
    sms.outbox.clear()

    def start():
        return services.phone_method_start(
            user=User.objects.get(pk=user.pk), raw_number="0612345678"
        )

    results = _at_once(start)

    assert [r for r in results if isinstance(r, Exception) and r.code != "limit"] == []
    [pending] = PhoneDevice.objects.filter(user=user)
    assert not pending.confirmed
    assert sms.outbox[-1].body.startswith(pending.token)
    sms.outbox.clear()


@override_settings(SMS_BACKEND="locmem")
def test_one_reset_code_submitted_twenty_times_at_once_passes_the_gate_once():
    from django.core import mail
    from django.test import Client

    from tests.helpers import last_mail_code, make_alt_email

    user = make_user(make_tenant())
    make_alt_email(user, "me@example.org")
    first = Client()
    first.post("/password/reset/", {"username": user.username})
    first.post("/password/reset/method/", {"method": "email", "email": "me@example.org"})
    code = last_mail_code()
    assert mail.outbox
    clients = []
    for _ in range(PARALLEL):
        client = Client()
        client.cookies = first.cookies  # the same browser session
        clients.append(client)
    slots = iter(clients)
    lock = threading.Lock()

    def submit():
        with lock:
            client = next(slots)
        response = client.post("/password/reset/verify/", {"code": code})
        return getattr(response, "url", None)

    results = _at_once(submit)

    # Requests that load the session after the winner saved it are simply sent on;
    # the gate itself is passed exactly once.
    from accounts.models import AuditEvent

    assert AuditEvent.objects.filter(action="password_reset.gate_passed").count() == 1, results
    assert not any(isinstance(result, Exception) for result in results), results


class _Request:
    """As much of a request as the passkey ceremonies use: a session."""

    def __init__(self, session):
        self.session = session


def test_one_passkey_assertion_sent_twenty_times_at_once_signs_in_once(settings):
    settings.PORTAL_BASE_URL = "https://portal.example"
    user = make_user(make_tenant())
    authenticator = SoftAuthenticator()
    started = _Request({})
    credential = authenticator.create(
        passkeys.registration_options(started, user), settings.PORTAL_BASE_URL
    )
    fields = passkeys.registration_verify(started, user, credential)
    PasskeyDevice.objects.create(user=user, name="Key", confirmed=True, **fields)
    started = _Request({})
    options = passkeys.authentication_options(started, purpose=passkeys.SIGN_IN)
    assertion = authenticator.get(options, settings.PORTAL_BASE_URL)

    def use():
        # The same answer, each with its own copy of the session that asked for it:
        # as requests racing before any of them saved the session.
        request = _Request(dict(started.session))
        return passkeys.authentication_verify(request, assertion, purpose=passkeys.SIGN_IN)

    results = _at_once(use)

    used = [r for r in results if isinstance(r, PasskeyDevice)]
    refused = [r for r in results if isinstance(r, passkeys.PasskeyError)]
    assert len(used) == 1, results
    assert len(refused) == PARALLEL - 1, results
    assert PasskeyDevice.objects.get().sign_count == 1
