"""Passkeys and security keys: registration and assertions checked on real WebAuthn data.

A software authenticator (tests/security_info/authenticator.py) makes real P-256
keys, CBOR and signatures; the server checks them with the ``webauthn`` library
exactly as it checks a browser's.
"""

import json

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.utils.html import escape
from django_otp import DEVICE_ID_SESSION_KEY
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts.models import AuditEvent
from accounts.roles import HELPDESK_ADMIN
from security_info import passkeys, services
from security_info.models import PasskeyDevice
from security_info.views import REAUTH_AT
from sso.models import FederatedDomain, IdentityProvider
from tests.factories import PASSWORD, make_tenant, make_user
from tests.helpers import (
    assert_not_found,
    make_alt_email,
    make_app,
    reauthenticate,
    sign_in,
    totp_code,
)
from tests.security_info.authenticator import SoftAuthenticator

pytestmark = [pytest.mark.django_db, pytest.mark.tenant(domain="contoso.example")]

ORIGIN = "https://portal.example"


@pytest.fixture(autouse=True)
def _portal(settings):
    settings.PORTAL_BASE_URL = ORIGIN


@pytest.fixture
def authenticator():
    return SoftAuthenticator()


def _signed_in(client, user):
    sign_in(client, user)
    return reauthenticate(client)


def _register(client, authenticator, name="Work laptop", origin=ORIGIN, tamper=None):
    options = client.post("/security-info/passkeys/options/")
    assert options.status_code == 200, options.status_code
    text = options.content.decode()
    if tamper:
        text = tamper(text)
    credential = authenticator.create(text, origin)
    return client.post("/security-info/passkeys/add/", {"name": name, "credential": credential})


def _options(client, purpose):
    response = client.post("/signin/passkey/options/", {"purpose": purpose})
    assert response.status_code == 200, response.content[:200]
    return response.content.decode()


def _with_passkey(client, user, authenticator, name="Work laptop"):
    """Give ``user`` a passkey through the pages, then sign ``client`` out."""
    _signed_in(client, user)
    assert _register(client, authenticator, name).status_code == 302
    client.logout()
    return PasskeyDevice.objects.get(user=user, name=name)


def _passwordless(client, authenticator, origin=ORIGIN, **kwargs):
    credential = authenticator.get(_options(client, "signin"), origin, **kwargs)
    return client.post("/signin/passkey/", {"credential": credential})


def _password_step(client, user):
    response = client.post("/signin/", {"username": user.username, "password": PASSWORD})
    assert response["Location"].startswith("/signin/verify/"), response["Location"]


def _messages(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- registering --------------------------------------------------------------------


def test_a_user_registers_a_passkey_and_sees_it_listed(client, admin, authenticator):
    make_alt_email(admin, "megan@example.org")
    _signed_in(client, admin)

    response = _register(client, authenticator)

    assert response.status_code == 302 and response["Location"] == "/security-info/"
    device = PasskeyDevice.objects.get(user=admin)
    assert device.name == "Work laptop"
    assert device.confirmed and device.discoverable
    assert device.transports == ["internal"]
    assert device.sign_count == 0
    assert len(bytes(device.user_handle)) == 32
    assert device.credential_key == passkeys.credential_key(bytes(device.credential_id))
    # The session is now verified with it.
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    event = AuditEvent.objects.get(action="security_info.passkey.add")
    assert event.new_values == {"passkey": "Work laptop", "discoverable": True}
    assert "Passkey or security key Work laptop added" in mail.outbox[-1].body
    page = client.get("/security-info/").content.decode()
    assert "Work laptop" in page and "not used yet" in page


def test_several_passkeys_share_one_user_handle_and_are_excluded_when_adding(
    client, admin, authenticator
):
    _signed_in(client, admin)
    _register(client, authenticator, "Laptop")
    options = json.loads(client.post("/security-info/passkeys/options/").content)
    first = PasskeyDevice.objects.get(user=admin)

    assert [item["id"] for item in options["excludeCredentials"]] == [
        passkeys.bytes_to_base64url(bytes(first.credential_id))
    ]
    _register(client, SoftAuthenticator(), "Blue key")
    handles = {bytes(d.user_handle) for d in PasskeyDevice.objects.filter(user=admin)}
    assert len(handles) == 1


def test_registration_options_name_this_portal_and_ask_for_a_discoverable_passkey(client, admin):
    _signed_in(client, admin)

    options = json.loads(client.post("/security-info/passkeys/options/").content)

    assert options["rp"] == {"id": "portal.example", "name": django_settings.PORTAL_PRODUCT_NAME}
    assert options["user"]["name"] == admin.username
    assert options["authenticatorSelection"]["residentKey"] == "preferred"
    assert options["extensions"] == {"credProps": True}


def test_a_passkey_made_for_another_origin_is_refused(client, admin, authenticator):
    _signed_in(client, admin)

    response = _register(client, authenticator, origin="https://portal.example.evil.test")

    assert response.status_code == 200
    assert escape("That passkey couldn't be checked.") in response.content.decode()
    assert not PasskeyDevice.objects.exists()


def test_a_passkey_made_for_another_relying_party_is_refused(client, admin, authenticator):
    _signed_in(client, admin)

    response = _register(
        client, authenticator, tamper=lambda text: text.replace("portal.example", "evil.test")
    )

    assert response.status_code == 200
    assert not PasskeyDevice.objects.exists()


def test_a_registration_answer_works_once(client, admin, authenticator):
    _signed_in(client, admin)
    options = client.post("/security-info/passkeys/options/").content.decode()
    credential = authenticator.create(options, ORIGIN)
    client.post("/security-info/passkeys/add/", {"name": "Laptop", "credential": credential})

    again = client.post("/security-info/passkeys/add/", {"name": "Again", "credential": credential})

    assert escape("That took too long") in again.content.decode()
    assert PasskeyDevice.objects.count() == 1


def test_a_name_is_required(client, admin, authenticator):
    _signed_in(client, admin)

    response = _register(client, authenticator, name="  ")

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not PasskeyDevice.objects.exists()


def test_at_most_ten_passkeys(client, admin):
    _signed_in(client, admin)
    for number in range(services.MAX_PASSKEYS):
        assert _register(client, SoftAuthenticator(), f"Key {number}").status_code == 302

    response = _register(client, SoftAuthenticator(), "One too many")

    assert "at most 10 passkeys" in response.content.decode()
    assert PasskeyDevice.objects.count() == services.MAX_PASSKEYS


def test_adding_a_passkey_asks_to_confirm_it_is_you_first(client, admin):
    sign_in(client, admin)
    session = client.session
    session.pop("portal_signed_in_at", None)
    session.save()
    reauthenticate(client, seconds_ago=3600)

    for response in (
        client.get("/security-info/passkeys/add/"),
        client.post("/security-info/passkeys/options/"),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith("/security-info/confirm/")


def test_signed_out_visitors_get_no_registration_options(client):
    response = client.post("/security-info/passkeys/options/")

    assert response.status_code == 302 and response["Location"].startswith("/signin/")


@hypothesis_settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[
        *hypothesis_settings.default.suppress_health_check,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(
    answer=st.one_of(
        st.text(max_size=300),
        st.dictionaries(st.text(max_size=10), st.text(max_size=20)).map(json.dumps),
        st.builds(
            lambda junk: json.dumps(
                {
                    "id": junk,
                    "rawId": junk,
                    "type": "public-key",
                    "response": {"clientDataJSON": junk},
                }
            ),
            st.text(max_size=40),
        ),
    )
)
def test_any_malformed_answer_is_refused_without_an_error_page(client, admin, answer):
    _signed_in(client, admin)
    client.post("/security-info/passkeys/options/")

    response = client.post("/security-info/passkeys/add/", {"name": "X", "credential": answer})

    assert response.status_code == 200
    assert not PasskeyDevice.objects.exists()


# --- managing -----------------------------------------------------------------------


def test_a_user_renames_and_deletes_their_passkey(
    client, admin, authenticator, django_capture_on_commit_callbacks
):
    make_alt_email(admin, "megan@example.org")
    _signed_in(client, admin)
    _register(client, authenticator)
    device = PasskeyDevice.objects.get()

    renamed = client.post(f"/security-info/passkeys/{device.pk}/rename/", {"name": "Old laptop"})
    assert renamed.status_code == 302
    device.refresh_from_db()
    assert device.name == "Old laptop"
    assert AuditEvent.objects.get(action="security_info.passkey.rename").new_values == {
        "passkey": "Old laptop"
    }

    page = client.get(f"/security-info/passkeys/{device.pk}/delete/")
    assert "Old laptop" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        deleted = client.post(f"/security-info/passkeys/{device.pk}/delete/")

    assert deleted.status_code == 302
    assert not PasskeyDevice.objects.exists()
    assert AuditEvent.objects.filter(action="security_info.passkey.delete").exists()
    assert "Passkey or security key Old laptop removed" in mail.outbox[-1].body


def test_an_empty_name_is_refused_on_rename(client, admin, authenticator):
    _signed_in(client, admin)
    _register(client, authenticator)
    device = PasskeyDevice.objects.get()

    response = client.post(f"/security-info/passkeys/{device.pk}/rename/", {"name": ""})

    assert response.status_code == 200
    device.refresh_from_db()
    assert device.name == "Work laptop"


@pytest.mark.parametrize("same_tenant", [True, False])
def test_someone_elses_passkey_is_not_found(client, tenant, admin, authenticator, same_tenant):
    owner = make_user(tenant if same_tenant else make_tenant(), "owner")
    device = _with_passkey(client, owner, authenticator)
    _signed_in(client, admin)

    for url in (
        f"/security-info/passkeys/{device.pk}/rename/",
        f"/security-info/passkeys/{device.pk}/delete/",
    ):
        assert_not_found(client.get(url))
        assert_not_found(client.post(url, {"name": "Mine now"}))
    device.refresh_from_db()
    assert device.name == "Work laptop"


def test_a_helpdesk_admin_removes_a_users_passkeys_but_not_a_global_admins(
    client, tenant, admin, member
):
    helpdesk = make_user(tenant, "helpdesk", roles=[HELPDESK_ADMIN])
    _with_passkey(client, member, SoftAuthenticator())
    _with_passkey(client, admin, SoftAuthenticator())
    sign_in(client, helpdesk)

    page = client.get(f"/users/{member.pk}/").content.decode()
    assert "Passkeys and security keys" in page
    removed = client.post(f"/users/{member.pk}/methods/remove/", {"method": "passkeys"})
    refused = client.post(f"/users/{admin.pk}/methods/remove/", {"method": "passkeys"})

    assert removed.status_code == 302
    assert not PasskeyDevice.objects.filter(user=member).exists()
    assert refused.status_code == 403
    assert PasskeyDevice.objects.filter(user=admin).exists()
    event = AuditEvent.objects.get(action="security_info.passkey.delete")
    assert (event.actor, event.target_id) == (helpdesk, str(member.pk))


def test_requiring_registration_again_removes_passkeys_too(client, tenant, admin, member):
    _with_passkey(client, member, SoftAuthenticator())

    services.reregistration_require(user=member, acting_user=admin)

    assert not PasskeyDevice.objects.filter(user=member).exists()


# --- the second step ----------------------------------------------------------------


def test_password_then_passkey_signs_in(client, admin, authenticator):
    device = _with_passkey(client, admin, authenticator)
    _password_step(client, admin)

    page = client.get("/signin/verify/").content.decode()
    assert 'data-testid="passkey-verify"' in page
    assert 'name="otp_token"' not in page  # a passkey is the only method: no code form
    options = json.loads(_options(client, "verify"))
    assert options["userVerification"] == "preferred"
    assert len(options["allowCredentials"]) == 1
    credential = authenticator.get(json.dumps(options), ORIGIN)
    response = client.post("/signin/passkey/verify/", {"credential": credential})

    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert AuditEvent.objects.filter(action="signin.success").latest("pk").new_values == {
        "second_factor": True
    }
    device.refresh_from_db()
    assert device.sign_count == 1 and device.last_used_at is not None


def test_a_passkey_and_an_app_are_both_offered_at_the_second_step(client, admin, authenticator):
    _with_passkey(client, admin, authenticator)
    app = make_app(admin)
    _password_step(client, admin)

    page = client.get("/signin/verify/").content.decode()
    assert 'data-testid="passkey-verify"' in page and 'name="otp_token"' in page
    assert "security_info.passkeydevice" not in page  # not a code method

    response = client.post(
        "/signin/verify/", {"otp_device": app.persistent_id, "otp_token": totp_code(app)}
    )
    assert response.status_code == 302 and response["Location"] == "/"


def test_the_second_step_refuses_someone_elses_passkey(client, tenant, admin, member):
    _with_passkey(client, admin, SoftAuthenticator())
    intruder = SoftAuthenticator()
    _with_passkey(client, member, intruder)
    _password_step(client, admin)
    options = _options(client, "verify")
    # The member's authenticator signs anyway, with the member's passkey.
    credential = intruder.get(json.dumps({**json.loads(options), "allowCredentials": []}), ORIGIN)

    response = client.post("/signin/passkey/verify/", {"credential": credential}, follow=True)

    assert escape("That passkey isn't registered for this account") in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="signin.mfa_failure", target_id=str(admin.pk)).exists()


def test_the_second_step_refuses_an_answer_for_another_origin(client, admin, authenticator):
    device = _with_passkey(client, admin, authenticator)
    _password_step(client, admin)
    credential = authenticator.get(_options(client, "verify"), "https://phish.example")

    response = client.post("/signin/passkey/verify/", {"credential": credential}, follow=True)

    assert escape("That passkey couldn't be checked.") in response.content.decode()
    assert "_auth_user_id" not in client.session
    device.refresh_from_db()
    assert device.sign_count == 0


def test_repeated_second_step_failures_lock_the_sign_in(client, admin, authenticator):
    _with_passkey(client, admin, authenticator)
    _password_step(client, admin)
    for _ in range(django_settings.PORTAL_LOCKOUT_ATTEMPTS):
        credential = authenticator.get(_options(client, "verify"), "https://phish.example")
        response = client.post("/signin/passkey/verify/", {"credential": credential})

    assert response["Location"] == "/signin/"
    assert client.get("/signin/verify/")["Location"] == "/signin/"


def test_no_second_step_options_without_a_password_first(client):
    response = client.post("/signin/passkey/options/", {"purpose": "verify"})

    assert response.status_code == 403


def test_an_unknown_purpose_is_a_bad_request(client):
    assert client.post("/signin/passkey/options/", {"purpose": "anything"}).status_code == 400


# --- passkey alone ------------------------------------------------------------------


def test_a_passkey_alone_signs_in(client, admin, authenticator):
    device = _with_passkey(client, admin, authenticator)
    options = json.loads(_options(client, "signin"))
    assert options["allowCredentials"] == [] and options["userVerification"] == "required"

    response = client.post(
        "/signin/passkey/", {"credential": authenticator.get(json.dumps(options), ORIGIN)}
    )

    assert response.status_code == 302 and response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(admin.pk)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get("/").status_code == 200


def test_a_passkey_alone_goes_to_the_page_asked_for(client, admin, authenticator):
    _with_passkey(client, admin, authenticator)
    credential = authenticator.get(_options(client, "signin"), ORIGIN)

    response = client.post("/signin/passkey/", {"credential": credential, "next": "/users/"})

    assert response["Location"] == "/users/"


def test_a_passkey_alone_must_verify_the_person(client, admin):
    key_without_pin = SoftAuthenticator(user_verified=False)
    _with_passkey(client, admin, key_without_pin)

    response = _passwordless(client, key_without_pin)

    assert response["Location"] == "/signin/"
    assert "_auth_user_id" not in client.session


def test_an_assertion_works_once(client, admin, authenticator):
    _with_passkey(client, admin, authenticator)
    credential = authenticator.get(_options(client, "signin"), ORIGIN)
    client.post("/signin/passkey/", {"credential": credential})
    client.logout()

    replayed = client.post("/signin/passkey/", {"credential": credential}, follow=True)

    assert escape("That took too long") in replayed.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_cloned_authenticator_is_caught_by_the_signature_counter(client, admin, authenticator):
    device = _with_passkey(client, admin, authenticator)
    _passwordless(client, authenticator)
    client.logout()
    device.refresh_from_db()
    assert device.sign_count == 1
    authenticator.counter = 0  # a copy of the key that has signed less

    response = _passwordless(client, authenticator)

    assert response["Location"] == "/signin/"
    assert "_auth_user_id" not in client.session
    device.refresh_from_db()
    assert device.sign_count == 1
    assert AuditEvent.objects.filter(
        action="signin.passkey_failure", target_id=str(admin.pk)
    ).exists()


def test_a_deleted_passkey_no_longer_signs_in(client, admin, authenticator):
    device = _with_passkey(client, admin, authenticator)
    services.passkey_delete(user=admin, device=device)

    response = _passwordless(client, authenticator)

    assert response["Location"] == "/signin/"
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(
        action="signin.passkey_failure", target_label="(unknown passkey)"
    ).exists()


def test_a_passkey_for_another_origin_does_not_sign_in(client, admin, authenticator):
    _with_passkey(client, admin, authenticator)

    response = _passwordless(client, authenticator, origin="http://portal.example")

    assert response["Location"] == "/signin/"
    assert "_auth_user_id" not in client.session


def test_a_blocked_user_does_not_sign_in_with_a_passkey(client, admin, authenticator):
    _with_passkey(client, admin, authenticator)
    type(admin).objects.filter(pk=admin.pk).update(is_sign_in_blocked=True)

    response = _passwordless(client, authenticator)

    assert response["Location"] == "/signin/"
    assert "_auth_user_id" not in client.session


def test_a_locked_out_account_does_not_sign_in_with_a_passkey(client, admin, authenticator):
    _with_passkey(client, admin, authenticator)
    for _ in range(django_settings.PORTAL_LOCKOUT_ATTEMPTS):
        client.post("/signin/", {"username": admin.username, "password": "wrong"})

    response = _passwordless(client, authenticator)

    assert "_auth_user_id" not in client.session
    assert response["Location"] == "/signin/"


def test_the_sign_in_page_offers_a_passkey(client):
    page = client.get("/signin/").content.decode()

    assert 'data-testid="passkey-signin"' in page
    assert "js/passkeys.js" in page


# --- confirming it's you ------------------------------------------------------------


def test_a_passkey_confirms_it_is_you(client, admin, authenticator):
    _with_passkey(client, admin, authenticator)
    sign_in(client, admin)
    page = client.get("/security-info/confirm/?next=/security-info/app/add/").content.decode()
    assert 'data-testid="passkey-reauth"' in page
    assert 'name="password"' not in page  # only passkeys: no password-and-code way

    options = json.loads(_options(client, "reauth"))
    assert options["userVerification"] == "required"
    response = client.post(
        "/security-info/confirm/passkey/",
        {"credential": authenticator.get(json.dumps(options), ORIGIN), "next": "/security-info/"},
    )

    assert response["Location"] == "/security-info/"
    assert REAUTH_AT in client.session


# --- the organization's policy ------------------------------------------------------


def _require_passkeys(tenant):
    type(tenant).objects.filter(pk=tenant.pk).update(require_phishing_resistant_for_admins=True)


def test_the_policy_is_off_by_default(tenant):
    assert type(tenant)().require_phishing_resistant_for_admins is False


def test_a_global_admin_turns_the_policy_on(client, tenant, admin):
    sign_in(client, admin)
    form = client.get("/settings/security/").context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(require_mfa_for_admins="", require_phishing_resistant_for_admins="on")
    data = {k: v for k, v in data.items() if v != ""}

    response = client.post("/settings/security/", data)

    assert response.status_code == 302
    tenant.refresh_from_db()
    assert tenant.require_phishing_resistant_for_admins
    event = AuditEvent.objects.get(action="tenant.security.change")
    assert event.new_values["require_phishing_resistant_for_admins"] is True


def test_an_admin_without_a_passkey_is_taken_to_add_one(client, tenant, admin, authenticator):
    _require_passkeys(tenant)
    # A real sign-in (no method yet: the password alone) counts as confirming it's you.
    client.post("/signin/", {"username": admin.username, "password": PASSWORD})

    response = client.get("/users/")

    assert response["Location"] == "/security-info/passkeys/required/?next=%2Fusers%2F"
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="passkey-add-prompt"' in page
    assert 'data-testid="passkey-step-up"' not in page
    added = _register(client, authenticator, tamper=None)
    assert added.status_code == 302
    assert client.get("/users/").status_code == 200


def test_people_without_an_admin_role_are_not_asked(client, tenant, member):
    _require_passkeys(tenant)
    sign_in(client, member)

    assert client.get("/account/").status_code == 200


def test_codes_no_longer_open_the_admin_center_for_an_admin_with_a_passkey(
    client, tenant, admin, authenticator
):
    _with_passkey(client, admin, authenticator)
    app = make_app(admin)
    _require_passkeys(tenant)
    _password_step(client, admin)

    page = client.get("/signin/verify/").content.decode()
    assert 'data-testid="passkey-verify"' in page
    assert 'name="otp_token"' not in page
    response = client.post(
        "/signin/verify/", {"otp_device": app.persistent_id, "otp_token": totp_code(app)}
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_session_verified_with_a_code_steps_up_with_a_passkey(
    client, tenant, admin, authenticator
):
    _with_passkey(client, admin, authenticator)
    _require_passkeys(tenant)
    sign_in(client, admin)  # as if verified with a code before the policy was on

    assert client.get("/users/")["Location"].startswith("/security-info/passkeys/required/")
    # Another passkey is not what a code-verified session may add.
    refused = client.get("/security-info/passkeys/add/")
    assert refused["Location"] == "/security-info/passkeys/required/"
    credential = authenticator.get(_options_step_up(client), ORIGIN)
    response = client.post(
        "/security-info/passkeys/required/", {"credential": credential, "next": "/users/"}
    )

    assert response["Location"] == "/users/"
    assert client.get("/users/").status_code == 200
    assert AuditEvent.objects.filter(action="signin.step_up", actor=admin).exists()


def _options_step_up(client):
    response = client.post("/signin/passkey/options/", {"purpose": "stepup"})
    assert response.status_code == 200
    return response.content.decode()


def test_a_failed_step_up_leaves_the_admin_center_closed(client, tenant, admin, authenticator):
    _with_passkey(client, admin, authenticator)
    _require_passkeys(tenant)
    sign_in(client, admin)
    credential = authenticator.get(_options_step_up(client), "https://phish.example")

    client.post("/security-info/passkeys/required/", {"credential": credential})

    assert client.get("/users/")["Location"].startswith("/security-info/passkeys/required/")


def test_no_options_for_someone_without_a_passkey(client, admin):
    sign_in(client, admin)

    response = client.post("/signin/passkey/options/", {"purpose": "reauth"})

    assert response.status_code == 400
    assert passkeys.AUTHENTICATION not in client.session


@pytest.mark.parametrize("purpose", ["", "nonsense", "x" * 500])
def test_passkey_options_refuse_a_missing_unknown_or_overlong_purpose(client, purpose):
    response = client.post("/signin/passkey/options/", {"purpose": purpose})
    assert response.status_code == 400


def test_a_federated_person_does_not_sign_in_with_a_passkey_alone(client, admin, authenticator):
    _with_passkey(client, admin, authenticator)
    provider = IdentityProvider.objects.create(
        tenant=admin.tenant,
        name="Contoso Entra",
        protocol=IdentityProvider.Protocol.OIDC,
        issuer="https://login.example/contoso",
        client_id="portal",
        is_enabled=True,
    )
    FederatedDomain.objects.create(provider=provider, domain=admin.tenant.domain_set.get())

    response = _passwordless(client, authenticator)

    assert response["Location"] == "/signin/"
    assert "_auth_user_id" not in client.session
    assert any("Contoso Entra" in message for message in _messages(client.get("/signin/")))
