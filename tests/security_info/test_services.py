"""Writes on security info: each verifies, audits itself and sends the notice."""

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AuditEvent
from accounts.roles import GLOBAL_ADMIN
from security_info import services, sms
from security_info.models import AltEmailDevice, BackupCode, BackupCodeDevice, PhoneDevice
from tests.factories import make_user
from tests.helpers import (
    last_mail_code,
    last_sms_code,
    make_app,
    make_phone,
    totp_code,
)

pytestmark = [pytest.mark.django_db, pytest.mark.tenant(domain="contoso.example")]

MOBILE = "+31612345678"
OTHER_MOBILE = "+31687654321"


@pytest.fixture
def user(tenant):
    return make_user(tenant, "megan", roles=[GLOBAL_ADMIN], display_name="Megan Bowen")


def _events(action=None):
    events = AuditEvent.objects.filter(action__startswith="security_info.")
    return events.filter(action=action) if action else events


def _error(callable_, **kwargs):
    with pytest.raises(ValidationError) as caught:
        callable_(**kwargs)
    return caught.value


def _verified_phone(user, raw=MOBILE):
    services.phone_method_start(user=user, raw_number=raw)
    return services.phone_method_verify(user=user, code=last_sms_code())


def _verified_email(user, raw="megan@example.org"):
    services.email_method_start(user=user, raw_email=raw)
    return services.email_method_verify(user=user, code=last_mail_code(raw))


def _notices(to=None):
    return [
        m
        for m in mail.outbox
        if m.subject == "Your security info was changed" and (to is None or to in m.to)
    ]


# --- Mobile phone ---------------------------------------------------------------


def test_phone_start_saves_a_pending_number_and_texts_it_a_code(user):
    pending = services.phone_method_start(user=user, raw_number="06 12345678")

    assert pending.number == MOBILE
    assert not pending.confirmed
    assert pending.verified_at is None
    [message] = sms.outbox
    assert message.to == MOBILE
    assert last_sms_code() == PhoneDevice.objects.get(pk=pending.pk).token
    assert "10 minutes" in message.body


def test_phone_verify_confirms_the_number(user):
    services.phone_method_start(user=user, raw_number=MOBILE)

    phone = services.phone_method_verify(user=user, code=last_sms_code())

    phone.refresh_from_db()
    assert phone.confirmed
    assert phone.verified_at is not None
    assert phone.number == MOBILE
    assert "12345678" not in phone.name  # the name is shown at sign-in: masked
    assert services.pending_method(services.PHONE, user) is None


def test_phone_verify_with_a_wrong_code_keeps_it_pending_and_counts(user):
    services.phone_method_start(user=user, raw_number=MOBILE)

    error = _error(services.phone_method_verify, user=user, code="000000")

    assert error.code == "wrong_code"
    pending = services.pending_method(services.PHONE, user)
    assert pending.wrong_codes == 1  # saved, although the service raised
    assert not PhoneDevice.objects.filter(user=user, confirmed=True).exists()
    assert not _events().exists()


def test_phone_verify_without_a_pending_number_is_refused(user):
    assert _error(services.phone_method_verify, user=user, code="123456").code == "no_pending"


def test_changing_the_phone_keeps_the_old_one_until_the_new_code_is_right(user):
    old = _verified_phone(user, MOBILE)
    sms.outbox.clear()

    services.phone_method_start(user=user, raw_number=OTHER_MOBILE)
    assert PhoneDevice.objects.get(pk=old.pk).confirmed  # still the phone in use
    _error(services.phone_method_verify, user=user, code="000000")
    assert PhoneDevice.objects.get(pk=old.pk).confirmed

    # The back-off after the wrong code: move it back rather than wait.
    PhoneDevice.objects.filter(user=user, confirmed=False).update(
        throttling_failure_timestamp=timezone.now() - timedelta(minutes=1)
    )
    new = services.phone_method_verify(user=user, code=last_sms_code(OTHER_MOBILE))

    assert list(PhoneDevice.objects.filter(user=user)) == [new]
    assert new.number == OTHER_MOBILE and new.confirmed


def test_phone_change_is_audited_with_masked_numbers(user):
    _verified_phone(user, MOBILE)
    _verified_phone(user, OTHER_MOBILE)

    add = _events("security_info.phone.add").get()
    change = _events("security_info.phone.change").get()
    assert add.old_values == {}
    assert add.new_values == {"number": "+31 6 ••••••78"}
    assert change.old_values == {"number": "+31 6 ••••••78"}
    assert change.new_values == {"number": "+31 6 ••••••21"}
    assert change.actor == user and change.tenant == user.tenant
    assert change.target_id == str(user.pk)


def test_changed_phone_stays_the_default_sign_in_method(user):
    old = _verified_phone(user, MOBILE)
    make_app(user)
    services.default_method_set(user=user, device=old)

    new = _verified_phone(user, OTHER_MOBILE)

    user.refresh_from_db()
    assert user.default_otp_device == new.persistent_id


def test_phone_start_refuses_a_landline(user):
    error = _error(services.phone_method_start, user=user, raw_number="020 123 4567")

    assert error.code == "not_mobile"
    assert not PhoneDevice.objects.filter(user=user).exists()
    assert sms.outbox == []


def test_phone_start_refuses_the_number_already_verified(user):
    _verified_phone(user, MOBILE)
    sms.outbox.clear()

    error = _error(services.phone_method_start, user=user, raw_number="06 12345678")

    assert error.code == "unchanged"
    assert sms.outbox == []


def test_phone_start_again_replaces_the_pending_number_but_not_its_failures(user):
    services.phone_method_start(user=user, raw_number=MOBILE)
    _error(services.phone_method_verify, user=user, code="000000")

    pending = services.phone_method_start(user=user, raw_number=OTHER_MOBILE)

    assert PhoneDevice.objects.filter(user=user).count() == 1
    pending.refresh_from_db()
    assert pending.number == OTHER_MOBILE
    assert pending.wrong_codes == 1


def test_phone_resend_texts_a_new_code_and_the_old_one_stops_working(user):
    services.phone_method_start(user=user, raw_number=MOBILE)
    first = last_sms_code()

    services.phone_method_resend(user=user)

    assert len(sms.outbox) == 2
    second = last_sms_code()
    if first != second:
        _error(services.phone_method_verify, user=user, code=first)
        PhoneDevice.objects.filter(user=user).update(throttling_failure_timestamp=None)
    assert services.phone_method_verify(user=user, code=second).confirmed


def test_phone_delete_removes_it_audits_and_clears_the_default(user):
    phone = _verified_phone(user)
    services.default_method_set(user=user, device=phone)

    services.phone_method_delete(user=user)

    assert not PhoneDevice.objects.filter(user=user).exists()
    user.refresh_from_db()
    assert user.default_otp_device == ""
    event = _events("security_info.phone.delete").get()
    assert event.old_values == {"number": "+31 6 ••••••78"}


def test_phone_delete_also_drops_a_pending_number(user):
    _verified_phone(user, MOBILE)
    services.phone_method_start(user=user, raw_number=OTHER_MOBILE)

    services.phone_method_delete(user=user)

    assert not PhoneDevice.objects.filter(user=user).exists()


# --- Alternate email --------------------------------------------------------------


def test_email_start_saves_a_pending_address_and_mails_it_a_code(user):
    pending = services.email_method_start(user=user, raw_email="Megan@Example.ORG")

    assert pending.email == "Megan@example.org"
    assert not pending.confirmed
    [message] = mail.outbox
    assert message.to == ["Megan@example.org"]
    assert last_mail_code() == AltEmailDevice.all_objects.get(pk=pending.pk).token


@pytest.mark.parametrize(
    "raw", ["megan.private@contoso.example", "x@Mail.Contoso.example"], ids=["own", "subdomain"]
)
def test_email_start_refuses_the_organizations_own_domains(user, raw):
    error = _error(services.email_method_start, user=user, raw_email=raw)

    assert error.code == "own_domain"
    assert not AltEmailDevice.all_objects.filter(user=user).exists()
    assert mail.outbox == []


def test_email_start_refuses_any_domain_of_the_organization(user, tenant):
    tenant.domain_set.create(name="fabrikam.example")

    assert _error(services.email_method_start, user=user, raw_email="m@fabrikam.example").code == (
        "own_domain"
    )


def test_email_start_refuses_the_sign_in_name(user):
    error = _error(services.email_method_start, user=user, raw_email="MEGAN@contoso.example")

    assert error.code == "same_as_sign_in"
    assert mail.outbox == []


def test_email_verify_confirms_the_address_and_notifies_it(user):
    email = _verified_email(user, "megan@example.org")

    email.refresh_from_db()
    assert email.confirmed and email.verified_at is not None
    [notice] = _notices()
    assert notice.to == ["megan@example.org"]
    assert "m•••@example.org" in notice.body
    event = _events("security_info.email.add").get()
    assert event.new_values == {"email": "m•••@example.org"}


def test_email_change_notifies_the_old_and_the_new_address(user):
    _verified_email(user, "megan@example.org")
    mail.outbox.clear()

    services.email_method_start(user=user, raw_email="bowen@example.net")
    assert AltEmailDevice.all_objects.get(user=user, confirmed=True).email == "megan@example.org"
    services.email_method_verify(user=user, code=last_mail_code("bowen@example.net"))

    [notice] = _notices()
    assert sorted(notice.to) == ["bowen@example.net", "megan@example.org"]
    assert [d.email for d in AltEmailDevice.all_objects.filter(user=user)] == ["bowen@example.net"]
    event = _events("security_info.email.change").get()
    assert event.old_values == {"email": "m•••@example.org"}
    assert event.new_values == {"email": "b•••@example.net"}


def test_email_delete_notifies_the_removed_address(user, django_capture_on_commit_callbacks):
    _verified_email(user, "megan@example.org")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.email_method_delete(user=user)

    assert not AltEmailDevice.all_objects.filter(user=user).exists()
    [notice] = _notices()
    assert notice.to == ["megan@example.org"]
    assert _events("security_info.email.delete").get().old_values == {"email": "m•••@example.org"}


# --- Notices ---------------------------------------------------------------------


def test_every_change_notifies_the_verified_alternate_email(
    user, django_capture_on_commit_callbacks
):
    _verified_email(user, "megan@example.org")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        phone = _verified_phone(user)
        device = services.authenticator_start(user=user)
        app = services.authenticator_confirm(user=user, device_id=device.pk, code=totp_code(device))
        services.default_method_set(user=user, device=app)
        services.backup_codes_generate(user=user)
        services.authenticator_delete(user=user, device=app)
        services.phone_method_delete(user=user)

    notices = _notices("megan@example.org")
    assert len(notices) == 6
    assert len(mail.outbox) == 6
    assert phone.number not in "".join(n.body for n in notices)


def test_no_notice_without_an_alternate_email(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _verified_phone(user)
        services.backup_codes_generate(user=user)
        services.phone_method_delete(user=user)

    assert mail.outbox == []


def test_pending_alternate_email_gets_no_notices(user):
    services.email_method_start(user=user, raw_email="megan@example.org")
    mail.outbox.clear()

    _verified_phone(user)

    assert mail.outbox == []


# --- Authenticator apps ----------------------------------------------------------


def test_authenticator_start_makes_an_unconfirmed_key(user):
    device = services.authenticator_start(user=user)

    assert not device.confirmed
    assert len(device.bin_key) == 20
    assert _events().count() == 0


def test_authenticator_confirm_with_the_apps_code_adds_it(user):
    device = services.authenticator_start(user=user)

    app = services.authenticator_confirm(
        user=user, device_id=device.pk, code=totp_code(device), name="  Work phone "
    )

    app.refresh_from_db()
    assert app.confirmed
    assert app.name == "Work phone"
    event = _events("security_info.app.add").get()
    assert event.new_values == {"app": "Work phone"}


def test_authenticator_confirm_with_a_wrong_code_adds_nothing(user):
    device = services.authenticator_start(user=user)
    wrong = f"{(int(totp_code(device)) + 500_000) % 1_000_000:06d}"

    error = _error(services.authenticator_confirm, user=user, device_id=device.pk, code=wrong)

    assert error.code == "wrong_code"
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def test_authenticator_confirm_refuses_someone_elses_pending_key(user):
    other = make_user(user.tenant)
    device = services.authenticator_start(user=other)

    error = _error(
        services.authenticator_confirm, user=user, device_id=device.pk, code=totp_code(device)
    )

    assert error.code == "no_pending"
    device.refresh_from_db()
    assert not device.confirmed


def test_at_most_five_authenticator_apps(user):
    for n in range(services.MAX_AUTHENTICATOR_APPS):
        make_app(user, f"App {n}")

    error = _error(services.authenticator_start, user=user)

    assert error.code == "too_many"
    assert TOTPDevice.objects.filter(user=user).count() == 5


def test_a_new_start_keeps_the_key_being_set_up(user):
    # A reload of the page, or a wrong code, must not make the scanned QR code useless.
    first = services.authenticator_start(user=user)
    second = services.authenticator_start(user=user)

    assert list(TOTPDevice.objects.filter(user=user)) == [second]
    assert first.key == second.key


def test_authenticator_delete_removes_it_audits_and_clears_the_default(user):
    app = make_app(user, "Old phone")
    services.default_method_set(user=user, device=app)

    services.authenticator_delete(user=user, device=app)

    assert not TOTPDevice.objects.filter(user=user).exists()
    user.refresh_from_db()
    assert user.default_otp_device == ""
    assert _events("security_info.app.delete").get().old_values == {"app": "Old phone"}


# --- Backup codes ----------------------------------------------------------------


def test_backup_codes_are_ten_different_codes(user):
    codes = services.backup_codes_generate(user=user)

    assert len(codes) == services.BACKUP_CODE_COUNT == 10
    assert len(set(codes)) == 10
    device = BackupCodeDevice.objects.get(user=user)
    assert device.confirmed
    assert device.remaining == 10


def test_each_backup_code_works_once(user):
    codes = services.backup_codes_generate(user=user)
    device = BackupCodeDevice.objects.get(user=user)

    for code in codes:
        assert device.verify_token(code) is True
    for code in codes:
        device.throttling_failure_timestamp = None
        assert device.verify_token(code) is False
    assert device.remaining == 0


def test_new_backup_codes_invalidate_the_old_ones(user):
    old = services.backup_codes_generate(user=user)

    new = services.backup_codes_generate(user=user)

    device = BackupCodeDevice.objects.get(user=user)
    assert not set(old) & set(new)
    assert device.verify_token(old[0]) is False
    device.throttling_failure_timestamp = None
    assert device.verify_token(new[0]) is True
    events = _events("security_info.backup_codes.generate").order_by("id")
    assert [e.new_values for e in events] == [
        {"replaced_previous": False},
        {"replaced_previous": True},
    ]


def test_backup_codes_are_never_stored(user):
    codes = services.backup_codes_generate(user=user)

    stored = list(BackupCode.objects.values_list("code_hash", flat=True))
    assert len(stored) == 10
    for code in codes:
        assert all(code not in value and code.replace("-", "") not in value for value in stored)
        assert BackupCode.hash(code) in stored


# --- Default method and the audit log --------------------------------------------


def test_default_method_set_records_old_and_new(user):
    app = make_app(user)
    phone = make_phone(user)
    services.default_method_set(user=user, device=app)

    services.default_method_set(user=user, device=phone)

    user.refresh_from_db()
    assert user.default_otp_device == phone.persistent_id
    event = _events("security_info.default.change").order_by("id").last()
    assert event.old_values == {"default": app.persistent_id}
    assert event.new_values == {"default": phone.persistent_id}


def test_audit_log_holds_no_codes_numbers_or_addresses(user):
    services.phone_method_start(user=user, raw_number=MOBILE)
    sms_code = last_sms_code()
    services.phone_method_verify(user=user, code=sms_code)
    services.email_method_start(user=user, raw_email="megan@example.org")
    mail_code = last_mail_code("megan@example.org")
    services.email_method_verify(user=user, code=mail_code)
    device = services.authenticator_start(user=user)
    app_code = totp_code(device)
    services.authenticator_confirm(user=user, device_id=device.pk, code=app_code)
    backup_codes = services.backup_codes_generate(user=user)
    services.phone_method_start(user=user, raw_number=OTHER_MOBILE)
    services.phone_method_verify(user=user, code=last_sms_code(OTHER_MOBILE))
    services.email_method_delete(user=user)
    services.phone_method_delete(user=user)

    actions = set(_events().values_list("action", flat=True))
    assert actions == {
        "security_info.phone.add",
        "security_info.phone.change",
        "security_info.phone.delete",
        "security_info.email.add",
        "security_info.email.delete",
        "security_info.app.add",
        "security_info.backup_codes.generate",
    }
    logged = json.dumps(
        list(AuditEvent.objects.values("old_values", "new_values", "target_label", "user_agent")),
        ensure_ascii=False,
    )
    for secret in [sms_code, mail_code, app_code, *backup_codes, device.key]:
        assert secret not in logged
    for contact in ["612345678", "687654321", "megan@example.org"]:
        assert contact not in logged.replace(" ", "")


def test_default_method_set_to_the_same_method_changes_nothing(user):
    app = make_app(user)
    services.default_method_set(user=user, device=app)

    services.default_method_set(user=user, device=app)

    assert _events("security_info.default.change").count() == 1
