"""The Security info pages: what they show, re-authentication, and each method's flow."""

import base64
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.utils import timezone
from django.utils.html import escape
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import signin
from accounts.models import AuditEvent
from security_info import services, sms
from security_info.models import AltEmailDevice, BackupCodeDevice, PhoneDevice
from security_info.views import REAUTH_AT
from tests.factories import PASSWORD, make_tenant, make_user
from tests.helpers import (
    assert_not_found,
    assert_redirects_to_signin,
    failures_of,
    is_locked_out,
    last_mail_code,
    last_sms_code,
    lock_out,
    make_alt_email,
    make_app,
    make_phone,
    reauthenticate,
    sign_in,
    totp_code,
)

pytestmark = [pytest.mark.django_db, pytest.mark.tenant(domain="contoso.example")]

MOBILE = "+31612345678"
INDEX = "/security-info/"
REAUTH = "/security-info/confirm/"


class FailingGateway:
    """An SMS gateway that is down (named by dotted path in SMS_BACKEND)."""

    def send(self, message):
        from security_info.sms import SMSDeliveryError

        raise SMSDeliveryError("The SMS gateway answered HTTP 503.")


@pytest.fixture
def confirmed_client(admin_client):
    """An admin who confirmed their password a moment ago."""
    return reauthenticate(admin_client)


def _reauth_url(next_path):
    return f"{REAUTH}?{urlencode({'next': next_path})}"


def _content(response):
    return response.content.decode()


def _messages(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- The overview page ---------------------------------------------------------


def test_security_info_page_shows_every_method_to_an_admin(admin_client):
    response = admin_client.get(INDEX)

    assert response.status_code == 200
    content = _content(response)
    for testid in ["method-phone", "method-email", "method-backup"]:
        assert f'data-testid="{testid}"' in content
    assert "Authenticator app" in content
    assert 'href="/security-info/phone/"' in content
    assert 'href="/security-info/app/add/"' in content


def test_admin_without_phone_and_email_is_told_they_cant_reset_their_password(admin_client):
    content = _content(admin_client.get(INDEX))

    assert 'data-testid="reset-readiness"' in content
    assert "reset your own password yet" in content
    assert "<li>a verified mobile phone</li>" in content
    assert "<li>a verified alternate email</li>" in content


def test_reset_box_names_only_what_is_missing(admin_client, admin):
    make_phone(admin, MOBILE)

    content = _content(admin_client.get(INDEX))

    assert "<li>a verified alternate email</li>" in content
    assert "<li>a verified mobile phone</li>" not in content


def test_admin_with_phone_and_email_sees_no_reset_box(admin_client, admin):
    make_phone(admin, MOBILE)
    make_alt_email(admin, "megan@example.org")

    content = _content(admin_client.get(INDEX))

    assert 'data-testid="reset-readiness"' not in content
    assert "+31 6 12345678" in content
    assert "megan@example.org" in content


def test_user_without_role_sees_their_methods_but_no_reset_box(client, member):
    sign_in(client, member)
    make_phone(member, MOBILE)

    response = client.get(INDEX)

    assert response.status_code == 200
    content = _content(response)
    assert 'data-testid="method-phone"' in content
    assert "+31 6 12345678" in content
    assert 'data-testid="reset-readiness"' not in content


def test_pending_methods_are_shown_with_a_link_to_enter_the_code(admin_client, admin):
    make_phone(admin, MOBILE, confirmed=False)

    content = _content(admin_client.get(INDEX))

    assert "Waiting for the code sent to +31 6 12345678" in content
    assert 'href="/security-info/phone/verify/"' in content


def test_anonymous_visitor_is_sent_to_sign_in(client):
    assert_redirects_to_signin(client.get(INDEX), INDEX)


def test_anonymous_visitor_cannot_open_the_reauth_page(client):
    assert_redirects_to_signin(client.get(REAUTH), REAUTH)


# --- Re-authentication ---------------------------------------------------------


def _protected_paths(admin):
    app = make_app(admin)
    make_phone(admin, MOBILE, confirmed=False)
    make_alt_email(admin, "megan@example.org", confirmed=False)
    return [
        "/security-info/phone/",
        "/security-info/phone/verify/",
        "/security-info/phone/delete/",
        "/security-info/email/",
        "/security-info/email/verify/",
        "/security-info/email/delete/",
        "/security-info/app/add/",
        f"/security-info/app/{app.pk}/delete/",
        "/security-info/backup-codes/",
    ]


def test_every_add_change_and_delete_page_asks_to_confirm_first(admin_client, admin):
    for path in _protected_paths(admin):
        response = admin_client.get(path)
        assert response.status_code == 302, path
        assert response.url == _reauth_url(path), path


def test_confirmation_older_than_ten_minutes_is_asked_again(admin_client, admin):
    paths = _protected_paths(admin)
    reauthenticate(admin_client, seconds_ago=10 * 60 + 1)

    for path in paths:
        assert admin_client.get(path).url == _reauth_url(path), path


def test_confirmation_within_ten_minutes_opens_the_pages(admin_client, admin):
    paths = _protected_paths(admin)
    reauthenticate(admin_client, seconds_ago=9 * 60)

    for path in paths:
        assert admin_client.get(path).status_code == 200, path


def test_posts_without_confirmation_change_nothing(admin_client, admin):
    phone = make_phone(admin, MOBILE)

    responses = [
        admin_client.post("/security-info/phone/", {"number": "06 87654321"}),
        admin_client.post("/security-info/phone/delete/"),
        admin_client.post("/security-info/email/", {"email": "megan@example.org"}),
        admin_client.post("/security-info/backup-codes/"),
        admin_client.post("/security-info/app/add/", {"code": "123456"}),
    ]

    assert all(r.status_code == 302 and r.url.startswith(REAUTH) for r in responses)
    assert list(PhoneDevice.objects.filter(user=admin)) == [phone]
    assert sms.outbox == [] and mail.outbox == []
    assert not BackupCodeDevice.objects.exists()
    assert not AltEmailDevice.all_objects.exists()
    assert not TOTPDevice.objects.exists()


def test_reauth_page_asks_for_the_password_only_without_methods(admin_client):
    content = _content(admin_client.get(_reauth_url("/security-info/phone/")))

    assert 'type="password"' in content
    assert 'name="otp_token"' not in content


def test_reauth_with_the_right_password_goes_on_to_next(admin_client):
    response = admin_client.post(_reauth_url("/security-info/phone/"), {"password": PASSWORD})

    assert response.status_code == 302
    assert response.url == "/security-info/phone/"
    assert admin_client.get("/security-info/phone/").status_code == 200
    assert admin_client.session[REAUTH_AT] > 0


def test_reauth_does_not_go_on_to_another_host(admin_client):
    response = admin_client.post(
        f"{REAUTH}?{urlencode({'next': 'https://evil.example/'})}", {"password": PASSWORD}
    )

    assert response.url == INDEX


def test_reauth_with_a_wrong_password_shows_it_at_the_field(admin_client):
    response = admin_client.post(_reauth_url(INDEX), {"password": "wrong-password"})

    assert response.status_code == 200
    assert 'id="id_password_error"' in _content(response)
    assert "That password is not right." in _content(response)
    assert REAUTH_AT not in admin_client.session


def test_wrong_passwords_at_reauth_count_toward_the_sign_in_lockout(admin_client, admin, client):
    for _ in range(django_settings.PORTAL_LOCKOUT_ATTEMPTS):
        admin_client.post(_reauth_url(INDEX), {"password": "wrong-password"})

    assert is_locked_out(admin.username)
    # Locked: not even the right password confirms now, nor is it checked.
    response = admin_client.post(_reauth_url(INDEX), {"password": PASSWORD})
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert "Try again in" in _content(response)
    assert REAUTH_AT not in admin_client.session
    assert AuditEvent.objects.filter(action="reauth.failure").count() == 5


def test_asking_for_a_code_does_not_dodge_the_lockout(admin_client, admin):
    phone = make_phone(admin, MOBILE)

    for _ in range(django_settings.PORTAL_LOCKOUT_ATTEMPTS):
        admin_client.post(
            _reauth_url(INDEX),
            {"password": "wrong-password", "otp_device": phone.persistent_id, "otp_challenge": "1"},
        )

    assert is_locked_out(admin.username)
    assert sms.outbox == []  # no codes for a wrong password either


def test_reauth_with_an_app_needs_its_code_too(admin_client, admin):
    app = make_app(admin)

    without_code = admin_client.post(_reauth_url(INDEX), {"password": PASSWORD})
    assert without_code.status_code == 200
    assert "Enter the code." in _content(without_code)
    assert REAUTH_AT not in admin_client.session

    response = admin_client.post(
        _reauth_url("/security-info/backup-codes/"),
        {"password": PASSWORD, "otp_device": app.persistent_id, "otp_token": totp_code(app)},
    )

    assert response.status_code == 302
    assert response.url == "/security-info/backup-codes/"
    assert admin_client.session[DEVICE_ID_SESSION_KEY] == app.persistent_id


def test_reauth_with_a_phone_texts_a_code_on_request(admin_client, admin):
    phone = make_phone(admin, MOBILE)

    challenge = admin_client.post(
        _reauth_url(INDEX),
        {"password": PASSWORD, "otp_device": phone.persistent_id, "otp_challenge": "1"},
    )
    assert challenge.status_code == 200
    assert [m.to for m in sms.outbox] == [MOBILE]
    assert "We sent a code to +31 6 ••••••78." in _content(challenge)
    assert "OTP Challenge" not in _content(challenge)
    assert REAUTH_AT not in admin_client.session

    response = admin_client.post(
        _reauth_url(INDEX),
        {"password": PASSWORD, "otp_device": phone.persistent_id, "otp_token": last_sms_code()},
    )

    assert response.status_code == 302
    assert REAUTH_AT in admin_client.session


def test_reauth_gateway_failure_says_the_code_is_on_its_way(admin_client, admin, settings):
    phone = make_phone(admin, MOBILE)
    settings.SMS_BACKEND = f"{__name__}.FailingGateway"

    response = admin_client.post(
        _reauth_url(INDEX),
        {"password": PASSWORD, "otp_device": phone.persistent_id, "otp_challenge": "1"},
    )

    assert response.status_code == 200
    assert escape("The text message service isn't answering right now.") in _content(response)
    assert "Error generating challenge" not in _content(response)


def test_reauth_with_a_wrong_password_does_not_use_up_the_code(admin_client, admin):
    phone = make_phone(admin, MOBILE)
    admin_client.post(
        _reauth_url(INDEX),
        {"password": PASSWORD, "otp_device": phone.persistent_id, "otp_challenge": "1"},
    )
    code = last_sms_code()

    admin_client.post(
        _reauth_url(INDEX),
        {"password": "wrong-password", "otp_device": phone.persistent_id, "otp_token": code},
    )
    response = admin_client.post(
        _reauth_url(INDEX),
        {"password": PASSWORD, "otp_device": phone.persistent_id, "otp_token": code},
    )

    assert response.status_code == 302


def test_reauth_with_a_wrong_code_counts_toward_the_lockout(admin_client, admin):
    app = make_app(admin)
    wrong = f"{(int(totp_code(app)) + 500_000) % 1_000_000:06d}"

    response = admin_client.post(
        _reauth_url(INDEX),
        {"password": PASSWORD, "otp_device": app.persistent_id, "otp_token": wrong},
    )

    assert response.status_code == 200
    assert "That code is not right." in _content(response)
    assert REAUTH_AT not in admin_client.session
    assert failures_of(admin.username) == 1


# --- Mobile phone --------------------------------------------------------------


def test_phone_add_with_a_bad_number_shows_the_error_at_the_field(confirmed_client):
    response = confirmed_client.post("/security-info/phone/", {"number": "020 123 4567"})

    assert response.status_code == 200
    content = _content(response)
    assert 'id="id_number_error"' in content
    assert "landline" in content
    assert 'type="tel"' in content
    assert sms.outbox == []


def test_phone_flow_from_number_to_verified(confirmed_client, admin):
    page = confirmed_client.get("/security-info/phone/")
    assert page.status_code == 200
    assert '<label for="id_number">Mobile phone number' in _content(page)

    response = confirmed_client.post("/security-info/phone/", {"number": "06 12345678"})
    assert response.status_code == 302
    assert response.url == "/security-info/phone/verify/"

    verify = confirmed_client.get(response.url)
    assert verify.status_code == 200
    assert "+31 6 ••••••78" in _content(verify)

    done = confirmed_client.post(
        "/security-info/phone/verify/", {"code": last_sms_code(MOBILE)}, follow=True
    )

    assert done.redirect_chain == [(INDEX, 302)]
    assert "Your mobile phone is verified." in _messages(done)
    phone = PhoneDevice.objects.get(user=admin)
    assert phone.confirmed and phone.number == MOBILE
    # A new sign-in factor proves this session as well as a sign-in code would.
    assert confirmed_client.session[DEVICE_ID_SESSION_KEY] == phone.persistent_id


def test_phone_verify_with_a_wrong_code_shows_the_error(confirmed_client, admin):
    confirmed_client.post("/security-info/phone/", {"number": MOBILE})

    response = confirmed_client.post("/security-info/phone/verify/", {"code": "000000"})

    assert response.status_code == 200
    assert 'id="id_code_error"' in _content(response)
    assert "That code is not right." in _content(response)
    assert not PhoneDevice.objects.get(user=admin).confirmed


def test_one_mistyped_code_retyped_at_once_is_told_to_wait_not_that_there_were_too_many(
    confirmed_client, admin
):
    confirmed_client.post("/security-info/phone/", {"number": MOBILE})
    confirmed_client.post("/security-info/phone/verify/", {"code": "000000"})
    # However slow this machine, the retry comes within django-otp's back-off.
    PhoneDevice.objects.filter(user=admin).update(
        throttling_failure_timestamp=timezone.now() + timedelta(seconds=30)
    )

    response = confirmed_client.post(
        "/security-info/phone/verify/", {"code": last_sms_code(MOBILE)}
    )

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 31
    assert "You entered 1 wrong code. Wait a few seconds" in _content(response)
    assert "Too many" not in _content(response)


def test_codes_refused_after_five_wrong_ones_answer_429_untried(confirmed_client, admin):
    confirmed_client.post("/security-info/phone/", {"number": MOBILE})
    code = last_sms_code(MOBILE)
    for _ in range(5):
        PhoneDevice.objects.filter(user=admin).update(throttling_failure_timestamp=None)
        last = confirmed_client.post("/security-info/phone/verify/", {"code": "000000"})
    assert last.status_code == 200  # the fifth was checked: it says it was the last try
    assert "that was the last try for now" in _content(last)

    PhoneDevice.objects.filter(user=admin).update(throttling_failure_timestamp=None)
    response = confirmed_client.post("/security-info/phone/verify/", {"code": code})

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 600
    assert "Too many wrong codes." in _content(response)
    assert not PhoneDevice.objects.get(user=admin).confirmed


def test_phone_verify_without_a_pending_number_goes_back_to_the_overview(confirmed_client):
    response = confirmed_client.get("/security-info/phone/verify/")

    assert response.status_code == 302
    assert response.url == INDEX


def test_resend_button_texts_a_new_code(confirmed_client, admin):
    confirmed_client.post("/security-info/phone/", {"number": MOBILE})

    response = confirmed_client.post("/security-info/phone/verify/resend/", follow=True)

    assert response.redirect_chain == [("/security-info/phone/verify/", 302)]
    assert "We sent a new code." in _messages(response)
    assert len(sms.outbox) == 2
    confirmed_client.post("/security-info/phone/verify/", {"code": last_sms_code()})
    assert PhoneDevice.objects.get(user=admin).confirmed


def test_resend_over_the_limit_says_so_and_sends_nothing(confirmed_client):
    confirmed_client.post("/security-info/phone/", {"number": MOBILE})
    confirmed_client.post("/security-info/phone/verify/resend/")
    confirmed_client.post("/security-info/phone/verify/resend/")

    response = confirmed_client.post("/security-info/phone/verify/resend/", follow=True)

    assert response.redirect_chain == [("/security-info/phone/verify/", 302)]
    assert any(m.startswith("You've asked for too many codes.") for m in _messages(response))
    assert escape("You've asked for too many codes.") in _content(response)
    assert len(sms.outbox) == 3


def test_gateway_failure_shows_a_clear_notice_on_the_code_page(confirmed_client, admin, settings):
    settings.SMS_BACKEND = f"{__name__}.FailingGateway"

    response = confirmed_client.post("/security-info/phone/", {"number": MOBILE}, follow=True)

    assert response.redirect_chain == [("/security-info/phone/verify/", 302)]
    assert escape("The text message service isn't answering right now.") in _content(response)
    assert PhoneDevice.objects.filter(user=admin, confirmed=False).exists()

    resent = confirmed_client.post("/security-info/phone/verify/resend/", follow=True)

    assert "We sent a new code." not in _messages(resent)
    assert escape("The text message service isn't answering right now.") in _content(resent)


def test_phone_delete_page_and_post(confirmed_client, admin):
    make_phone(admin, MOBILE)

    page = confirmed_client.get("/security-info/phone/delete/")
    assert page.status_code == 200
    assert "+31 6 ••••••78" in _content(page)

    response = confirmed_client.post("/security-info/phone/delete/", follow=True)

    assert "Your mobile phone was removed." in _messages(response)
    assert not PhoneDevice.objects.filter(user=admin).exists()


@pytest.mark.parametrize("path", ["/security-info/phone/delete/", "/security-info/email/delete/"])
def test_http_delete_on_a_delete_page_is_not_allowed(confirmed_client, admin, path):
    make_phone(admin, MOBILE)
    make_alt_email(admin, "megan@example.org")

    response = confirmed_client.delete(path)

    assert response.status_code == 405
    assert PhoneDevice.objects.filter(user=admin).exists()
    assert AltEmailDevice.all_objects.filter(user=admin).exists()


# --- Alternate email -----------------------------------------------------------


def test_email_flow_from_address_to_verified(confirmed_client, admin):
    response = confirmed_client.post("/security-info/email/", {"email": "megan@example.org"})
    assert response.status_code == 302
    assert response.url == "/security-info/email/verify/"
    assert "m•••@example.org" in _content(confirmed_client.get(response.url))

    done = confirmed_client.post(
        "/security-info/email/verify/",
        {"code": last_mail_code("megan@example.org")},
        follow=True,
    )

    assert "Your alternate email is verified." in _messages(done)
    email = AltEmailDevice.all_objects.get(user=admin)
    assert email.confirmed and email.email == "megan@example.org"
    # Email is no sign-in factor: it does not verify the session.
    assert DEVICE_ID_SESSION_KEY not in confirmed_client.session


def test_email_on_the_organizations_domain_is_refused_at_the_field(confirmed_client):
    response = confirmed_client.post("/security-info/email/", {"email": "m@contoso.example"})

    assert response.status_code == 200
    assert 'id="id_email_error"' in _content(response)
    assert "outside your organization" in _content(response)
    assert mail.outbox == []


# --- Authenticator apps ----------------------------------------------------------


def _shown_key(device):
    key = base64.b32encode(device.bin_key).decode()
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def test_authenticator_page_shows_a_qr_code_and_the_key(confirmed_client, admin):
    response = confirmed_client.get("/security-info/app/add/")

    assert response.status_code == 200
    content = _content(response)
    assert "<svg" in content
    device = TOTPDevice.objects.get(user=admin, confirmed=False)
    assert _shown_key(device) in content


def test_authenticator_is_added_with_the_code_from_the_app(confirmed_client, admin):
    confirmed_client.get("/security-info/app/add/")
    device = TOTPDevice.objects.get(user=admin, confirmed=False)

    response = confirmed_client.post(
        "/security-info/app/add/", {"code": totp_code(device), "name": "Work phone"}, follow=True
    )

    assert "Your authenticator app was added." in _messages(response)
    device.refresh_from_db()
    assert device.confirmed and device.name == "Work phone"
    assert confirmed_client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id


def test_authenticator_wrong_code_keeps_the_same_key_on_the_page(confirmed_client, admin):
    confirmed_client.get("/security-info/app/add/")
    device = TOTPDevice.objects.get(user=admin, confirmed=False)
    wrong = f"{(int(totp_code(device)) + 500_000) % 1_000_000:06d}"

    response = confirmed_client.post("/security-info/app/add/", {"code": wrong})

    assert response.status_code == 200
    assert 'id="id_code_error"' in _content(response)
    assert _shown_key(device) in _content(response)
    assert not TOTPDevice.objects.filter(user=admin, confirmed=True).exists()


def test_sixth_authenticator_is_refused(confirmed_client, admin):
    for n in range(5):
        make_app(admin, f"App {n}")

    response = confirmed_client.get("/security-info/app/add/", follow=True)

    assert response.redirect_chain == [(INDEX, 302)]
    assert any("at most 5" in m for m in _messages(response))
    assert TOTPDevice.objects.filter(user=admin).count() == 5


def test_own_authenticator_is_deleted(confirmed_client, admin):
    app = make_app(admin, "Old phone")

    page = confirmed_client.get(f"/security-info/app/{app.pk}/delete/")
    assert "Old phone" in _content(page)
    confirmed_client.post(f"/security-info/app/{app.pk}/delete/")

    assert not TOTPDevice.objects.filter(pk=app.pk).exists()


@pytest.mark.parametrize("whose", ["colleague", "other_tenant"])
def test_someone_elses_authenticator_is_not_found(confirmed_client, tenant, whose):
    owner = make_user(tenant if whose == "colleague" else make_tenant())
    app = make_app(owner)
    path = f"/security-info/app/{app.pk}/delete/"

    assert_not_found(confirmed_client.get(path))
    assert_not_found(confirmed_client.post(path))
    assert TOTPDevice.objects.filter(pk=app.pk).exists()


def test_unknown_authenticator_is_not_found_even_before_confirming(admin_client):
    assert_not_found(admin_client.get("/security-info/app/999999/delete/"))


# --- Backup codes ----------------------------------------------------------------


def test_backup_codes_are_shown_once(confirmed_client, admin):
    page = confirmed_client.get("/security-info/backup-codes/")
    assert 'data-testid="backup-codes"' not in _content(page)

    response = confirmed_client.post("/security-info/backup-codes/")

    assert response.status_code == 200
    codes = response.context["codes"]
    assert len(codes) == 10
    for code in codes:
        assert f"<code>{code}</code>" in _content(response)
    assert "no-store" in response["Cache-Control"]

    later = _content(confirmed_client.get("/security-info/backup-codes/"))
    assert 'data-testid="backup-codes"' not in later
    assert not any(code in later for code in codes)
    assert "10 codes left" in _content(confirmed_client.get(INDEX))


# --- Default sign-in method --------------------------------------------------------


def test_default_method_is_changed_to_one_of_the_users_methods(admin_client, admin):
    app = make_app(admin)
    phone = make_phone(admin, MOBILE)

    response = admin_client.post("/security-info/default/", {"device": phone.persistent_id})

    assert response.url == INDEX
    admin.refresh_from_db()
    assert admin.default_otp_device == phone.persistent_id
    content = _content(admin_client.get(INDEX))
    assert f'<option value="{phone.persistent_id}" selected>' in content
    assert f'<option value="{app.persistent_id}">' in content


@pytest.mark.parametrize("foreign", ["colleague", "other_tenant", "email", "pending", "junk"])
def test_default_method_with_a_foreign_device_changes_nothing(admin_client, admin, foreign):
    app = make_app(admin)
    admin.default_otp_device = app.persistent_id
    admin.save()
    device_id = {
        "colleague": lambda: make_app(make_user(admin.tenant)).persistent_id,
        "other_tenant": lambda: make_phone(make_user(make_tenant())).persistent_id,
        "email": lambda: make_alt_email(admin).persistent_id,
        "pending": lambda: make_phone(admin, confirmed=False).persistent_id,
        "junk": lambda: "accounts.user/1",
    }[foreign]()

    response = admin_client.post("/security-info/default/", {"device": device_id}, follow=True)

    assert "Choose one of your verified sign-in methods." in _messages(response)
    admin.refresh_from_db()
    assert admin.default_otp_device == app.persistent_id


def test_default_method_page_takes_only_posts(admin_client):
    assert admin_client.get("/security-info/default/").status_code == 405


# --- Sign-in with a phone ------------------------------------------------------------


def test_sign_in_with_a_phone_texts_a_code_and_signs_in(client, admin):
    phone = make_phone(admin, MOBILE)

    response = client.post("/signin/", {"username": admin.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == "/signin/verify/"

    challenge = client.post(
        "/signin/verify/send/", {"otp_device": phone.persistent_id}, follow=True
    )
    assert challenge.redirect_chain == [("/signin/verify/", 302)]
    assert 'role="status"' in _content(challenge)  # news, not an error
    assert [m.to for m in sms.outbox] == [MOBILE]
    assert "+31 6 ••••••78" in _content(challenge)
    assert "12345678" not in _content(challenge)

    done = client.post(
        "/signin/verify/", {"otp_device": phone.persistent_id, "otp_token": last_sms_code()}
    )

    assert done.status_code == 302
    assert done.url == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert home.wsgi_request.user == admin
    assert client.session[DEVICE_ID_SESSION_KEY] == phone.persistent_id


def test_send_me_a_code_has_its_own_address_on_the_verify_page(client, admin):
    make_phone(admin, MOBILE)
    client.post("/signin/", {"username": admin.username, "password": PASSWORD})

    page = _content(client.get("/signin/verify/"))

    assert 'action="/signin/verify/"' in page
    assert 'formaction="/signin/verify/send/"' in page
    assert 'name="otp_challenge"' not in page


def test_send_me_a_code_keeps_where_to_go_next(client, admin):
    phone = make_phone(admin, MOBILE)
    client.post("/signin/", {"username": admin.username, "password": PASSWORD, "next": "/audit/"})

    sent = client.post(
        "/signin/verify/send/", {"otp_device": phone.persistent_id, "next": "/audit/"}
    )
    assert sent.url == "/signin/verify/?next=%2Faudit%2F"
    elsewhere = client.post(
        "/signin/verify/send/",
        {"otp_device": phone.persistent_id, "next": "https://evil.example/"},
    )
    assert elsewhere.url == "/signin/verify/"

    done = client.post(
        sent.url,
        {"otp_device": phone.persistent_id, "otp_token": last_sms_code(), "next": "/audit/"},
    )
    assert done.url == "/audit/"


def test_asking_for_a_code_at_sign_in_is_no_failure(client, admin):
    phone = make_phone(admin, MOBILE)
    client.post("/signin/", {"username": admin.username, "password": PASSWORD})

    for _ in range(django_settings.PORTAL_LOCKOUT_ATTEMPTS + 1):
        response = client.post("/signin/verify/send/", {"otp_device": phone.persistent_id})
        assert response.status_code in (200, 302)

    assert failures_of(admin.username) == 0
    assert not is_locked_out(admin.username)
    assert not AuditEvent.objects.filter(action="signin.mfa_failure").exists()


def test_a_locked_sign_in_sends_no_code(client, admin):
    phone = make_phone(admin, MOBILE)
    client.post("/signin/", {"username": admin.username, "password": PASSWORD})
    lock_out(admin.username)

    response = client.post("/signin/verify/send/", {"otp_device": phone.persistent_id})

    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert sms.outbox == []
    assert client.get("/signin/verify/").url == "/signin/"  # starts again from the password


def test_send_me_a_code_answers_post_only_and_needs_the_password_first(client, admin):
    phone = make_phone(admin, MOBILE)

    response = client.post("/signin/verify/send/", {"otp_device": phone.persistent_id})
    assert response.url == "/signin/"
    assert sms.outbox == []

    client.post("/signin/", {"username": admin.username, "password": PASSWORD})
    assert client.get("/signin/verify/send/").status_code == 405


def test_the_verify_address_only_checks_codes(client, admin):
    phone = make_phone(admin, MOBILE)
    client.post("/signin/", {"username": admin.username, "password": PASSWORD})

    response = client.post(
        "/signin/verify/", {"otp_device": phone.persistent_id, "otp_challenge": "1"}
    )

    assert response.status_code == 200
    assert "Enter the code." in _content(response)
    assert sms.outbox == []


def test_someone_elses_phone_sends_no_code_at_sign_in(client, admin, tenant):
    theirs = make_phone(make_user(make_tenant(), "pat"), "+31612345679")
    make_phone(admin, MOBILE)
    client.post("/signin/", {"username": admin.username, "password": PASSWORD})

    response = client.post("/signin/verify/send/", {"otp_device": theirs.persistent_id})

    assert response.status_code == 200
    assert "not one of the available choices" in _content(response)
    assert sms.outbox == []


def test_pending_phone_is_not_offered_at_sign_in(client, admin):
    pending = make_phone(admin, MOBILE, confirmed=False)
    make_app(admin)
    client.post("/signin/", {"username": admin.username, "password": PASSWORD})

    assert pending.persistent_id not in _content(client.get("/signin/verify/"))
    response = client.post("/signin/verify/send/", {"otp_device": pending.persistent_id})

    assert response.status_code == 200
    assert "not one of the available choices" in _content(response)
    assert sms.outbox == []


def test_alternate_email_is_not_offered_at_sign_in(client, admin):
    email = make_alt_email(admin, "megan@example.org")
    make_app(admin)

    page = client.post("/signin/", {"username": admin.username, "password": PASSWORD}, follow=True)

    assert email.persistent_id not in _content(page)


def test_services_module_is_what_the_views_use():
    # The views call the services by reference: a renamed service breaks here first.
    assert callable(services.phone_method_start)


def test_security_info_page_stays_within_the_query_budget(
    client, admin, django_assert_max_num_queries
):
    make_phone(admin, MOBILE)
    make_app(admin)
    sign_in(client, admin)
    client.get("/security-info/")
    with django_assert_max_num_queries(12):
        assert client.get("/security-info/").status_code == 200


def test_a_recent_sign_in_counts_as_confirming_it_is_you_for_ten_minutes(client, admin):
    from accounts.signin import AUTHENTICATED_AT

    client.post("/signin/", {"username": admin.username, "password": PASSWORD})
    assert client.get("/security-info/phone/").status_code == 200

    session = client.session
    session[AUTHENTICATED_AT] -= 601
    session.save()

    assert client.get("/security-info/phone/")["Location"].startswith(REAUTH)


def test_the_code_page_asks_for_a_new_code_at_its_own_url(confirmed_client):
    confirmed_client.post("/security-info/email/", {"email": "megan@example.org"})
    page = confirmed_client.get("/security-info/email/verify/").content.decode()
    assert 'formaction="/security-info/email/verify/resend/"' in page
    assert 'name="resend"' not in page


def test_resend_answers_only_post(confirmed_client):
    confirmed_client.post("/security-info/phone/", {"number": MOBILE})
    assert confirmed_client.get("/security-info/phone/verify/resend/").status_code == 405


def test_resend_without_a_pending_method_sends_nothing(confirmed_client):
    response = confirmed_client.post("/security-info/phone/verify/resend/")
    assert response.url == INDEX
    assert sms.outbox == []


def test_resend_needs_a_recent_password(confirmed_client):
    confirmed_client.post("/security-info/phone/", {"number": MOBILE})
    session = confirmed_client.session
    session[REAUTH_AT] = session[signin.AUTHENTICATED_AT] = 0
    session.save()
    sms.outbox.clear()
    response = confirmed_client.post("/security-info/phone/verify/resend/")
    assert response.url == _reauth_url("/security-info/phone/verify/resend/")
    assert sms.outbox == []


def test_a_default_method_that_is_missing_or_malformed_is_refused(admin_client, admin):
    for data in ({}, {"device": "x" * 500}):
        response = admin_client.post("/security-info/default/", data, follow=True)
        assert "Choose one of your verified sign-in methods." in _messages(response)
