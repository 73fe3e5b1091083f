"""Signing in through an organization's OpenID Connect provider: Node's oidc-provider.

The portal's side runs in Django's test client; the provider runs in a process
of its own (tests/sso/conftest.py) and is driven as a browser would
(tests/sso/idp/drive.py). The code exchange and the ID token's validation are
the portal's real calls to the real provider.
"""

import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP

from accounts.models import AuditEvent, Domain, User
from accounts.roles import GLOBAL_ADMIN
from security_center.models import SignIn
from sso import oidc, urls_for
from sso.models import FederatedDomain, IdentityProvider
from tests.factories import PASSWORD, make_tenant, make_user
from tests.helpers import left_for
from tests.sso.idp.drive import drive_oidc_login

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sso_settings(settings):
    settings.PORTAL_SSO_ALLOW_HTTP = True
    settings.PORTAL_BASE_URL = "http://testserver"


def _provider(oidc_idp, tenant, *, trust_mfa=False, jit_create=False, enabled=True):
    client_id = f"portal-{secrets.token_hex(4)}"
    secret = secrets.token_urlsafe(24)
    provider = IdentityProvider.objects.create(
        tenant=tenant,
        name=f"IdP {client_id}",
        protocol=IdentityProvider.Protocol.OIDC,
        issuer=oidc_idp.issuer,
        client_id=client_id,
        client_secret_sealed=oidc.seal_client_secret(secret),
        trust_mfa=trust_mfa,
        jit_create=jit_create,
        is_enabled=enabled,
    )
    for domain in Domain.objects.filter(tenant=tenant):
        FederatedDomain.objects.create(provider=provider, domain=domain)
    oidc_idp.add_client(
        client_id,
        secret,
        [urls_for.oidc_redirect_uri(provider)],
        [urls_for.after_signout_url()],
    )
    return provider


def _claims(user, **extra):
    return {
        "email": user.username,
        "email_verified": True,
        "name": "Federated Person",
        "given_name": "Federated",
        "family_name": "Person",
        **extra,
    }


def _begin(client, username):
    response = client.post(reverse("accounts:signin"), {"username": username, "password": ""})
    return left_for(response)


def _callback(client, url):
    parts = urlsplit(url)
    return client.get(parts.path, parse_qs(parts.query))


def test_a_federated_name_signs_in_at_its_provider(client, oidc_idp):
    tenant = make_tenant()
    user = make_user(tenant)
    provider = _provider(oidc_idp, tenant)
    oidc_idp.add_account(user.username, _claims(user))
    authorize = _begin(client, user.username)
    assert authorize.startswith(oidc_idp.issuer)
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["nonce"] and query["state"]
    back = drive_oidc_login(authorize, login=user.username)
    response = _callback(client, back)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:home")
    assert int(client.session["_auth_user_id"]) == user.pk
    event = AuditEvent.objects.filter(action="signin.success", target_id=str(user.pk)).get()
    assert event.new_values["provider"] == provider.name
    assert SignIn.objects.filter(user=user, result="success").exists()
    assert event.new_values["provider_mfa"] is False


def test_the_password_is_never_looked_at_for_a_federated_name(client, oidc_idp):
    tenant = make_tenant()
    user = make_user(tenant)
    _provider(oidc_idp, tenant)
    response = client.post(
        reverse("accounts:signin"), {"username": user.username, "password": PASSWORD}
    )
    assert left_for(response).startswith(oidc_idp.issuer)
    assert "_auth_user_id" not in client.session


def test_a_name_of_no_federated_domain_gets_the_password_page(client, oidc_idp):
    tenant = make_tenant()
    _provider(oidc_idp, tenant)
    other = make_tenant()
    for name in (f"nobody@{other.domain_set.get().name}", "nobody@unknown.example"):
        response = client.post(reverse("accounts:signin"), {"username": name, "password": ""})
        assert response.status_code == 200
        assert "Enter your password." in response.content.decode()


def test_a_switched_off_provider_sends_nobody(client, oidc_idp):
    tenant = make_tenant()
    user = make_user(tenant)
    _provider(oidc_idp, tenant, enabled=False)
    response = client.post(
        reverse("accounts:signin"), {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:home")


def test_the_provider_vouching_for_another_organizations_name_is_refused(client, oidc_idp):
    tenant = make_tenant()
    user = make_user(tenant)
    provider = _provider(oidc_idp, tenant)
    victim_tenant = make_tenant()
    victim = make_user(victim_tenant, roles=[GLOBAL_ADMIN])
    # The organization's provider says the person is somebody of another organization.
    oidc_idp.add_account(user.username, _claims(user, email=victim.username))
    back = drive_oidc_login(_begin(client, user.username), login=user.username)
    response = _callback(client, back)
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(action="sso.refused", tenant=provider.tenant)
    assert event.new_values["reason"] == "other_domain"
    assert not AuditEvent.objects.filter(tenant=victim_tenant, action="signin.success").exists()


def test_an_unknown_person_is_refused_or_created_just_in_time(client, oidc_idp):
    tenant = make_tenant()
    domain = tenant.domain_set.get().name
    name = f"newcomer-{secrets.token_hex(3)}@{domain}"
    provider = _provider(oidc_idp, tenant)
    oidc_idp.add_account(name, {"email": name, "given_name": "New", "family_name": "Comer"})
    response = _callback(client, drive_oidc_login(_begin(client, name), login=name))
    assert response.status_code == 403
    assert "has no account" in response.content.decode()
    assert not User.objects.filter(username=name).exists()

    provider.jit_create = True
    provider.save()
    response = _callback(client, drive_oidc_login(_begin(client, name), login=name))
    assert response.status_code == 302
    created = User.objects.get(username=name)
    assert created.tenant == tenant
    assert created.first_name == "New"
    assert not created.has_usable_password()
    assert AuditEvent.objects.filter(action="user.create", target_id=str(created.pk)).exists()


@pytest.mark.parametrize("state", ["blocked", "deleted"])
def test_a_blocked_or_deleted_person_is_refused(client, oidc_idp, state):
    tenant = make_tenant()
    user = make_user(tenant)
    if state == "blocked":
        user.is_sign_in_blocked = True
    else:
        user.deleted_at = timezone.now()
    user.save()
    _provider(oidc_idp, tenant)
    oidc_idp.add_account(user.username, _claims(user))
    response = _callback(
        client, drive_oidc_login(_begin(client, user.username), login=user.username)
    )
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
    reason = "blocked" if state == "blocked" else "account_disabled"
    assert SignIn.objects.filter(user=user, tenant=tenant, reason=reason).exists()


def test_untrusted_provider_mfa_still_gets_our_second_step(client, oidc_idp):
    tenant = make_tenant()
    user = make_user(tenant)
    user.totpdevice_set.create(name="app", confirmed=True)
    _provider(oidc_idp, tenant, trust_mfa=False)
    oidc_idp.add_account(user.username, _claims(user))
    back = drive_oidc_login(_begin(client, user.username), login=user.username, mfa=True)
    response = _callback(client, back)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:signin_verify"))
    assert "_auth_user_id" not in client.session


def test_trusted_provider_mfa_counts_as_the_second_step(client, oidc_idp):
    tenant = make_tenant()
    user = make_user(tenant)
    user.totpdevice_set.create(name="app", confirmed=True)
    _provider(oidc_idp, tenant, trust_mfa=True)
    oidc_idp.add_account(user.username, _claims(user))
    # Without the provider's second factor, ours follows even when trusted.
    back = drive_oidc_login(_begin(client, user.username), login=user.username, mfa=False)
    assert _callback(client, back)["Location"].startswith(reverse("accounts:signin_verify"))
    client.logout()
    back = drive_oidc_login(_begin(client, user.username), login=user.username, mfa=True)
    response = _callback(client, back)
    assert response["Location"] == reverse("accounts:home")
    assert int(client.session["_auth_user_id"]) == user.pk
    event = AuditEvent.objects.filter(action="signin.success").latest("pk")
    assert event.new_values["provider_mfa"] is True


def test_a_callback_with_a_wrong_state_signs_nobody_in(client, oidc_idp):
    tenant = make_tenant()
    user = make_user(tenant)
    _provider(oidc_idp, tenant)
    oidc_idp.add_account(user.username, _claims(user))
    back = drive_oidc_login(_begin(client, user.username), login=user.username)
    parts = urlsplit(back)
    query = parse_qs(parts.query)
    query["state"] = ["forged"]
    response = client.get(parts.path, query)
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_a_callback_in_another_browser_signs_nobody_in(client, oidc_idp):
    tenant = make_tenant()
    user = make_user(tenant)
    _provider(oidc_idp, tenant)
    oidc_idp.add_account(user.username, _claims(user))
    back = drive_oidc_login(_begin(client, user.username), login=user.username)
    other = Client()
    response = _callback(other, back)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:signin")
    assert "_auth_user_id" not in other.session


def test_sign_out_ends_the_session_at_the_provider_too(client, oidc_idp):
    tenant = make_tenant()
    user = make_user(tenant)
    _provider(oidc_idp, tenant)
    oidc_idp.add_account(user.username, _claims(user))
    _callback(client, drive_oidc_login(_begin(client, user.username), login=user.username))
    response = client.post(reverse("accounts:signout"))
    assert left_for(response).startswith(oidc_idp.issuer)
    query = parse_qs(urlsplit(left_for(response)).query)
    assert query["post_logout_redirect_uri"] == [urls_for.after_signout_url()]
    assert query["id_token_hint"]
    assert "_auth_user_id" not in client.session


def test_break_glass_needs_a_global_admin_with_a_second_factor(
    client, oidc_idp, django_capture_on_commit_callbacks
):
    tenant = make_tenant()
    admin = make_user(tenant, roles=[GLOBAL_ADMIN])
    other_admin = make_user(tenant, roles=[GLOBAL_ADMIN])
    member = make_user(tenant)
    _provider(oidc_idp, tenant)
    url = reverse("sso:break_glass")
    # A member of the federated domain: refused like a wrong password.
    response = client.post(url, {"username": member.username, "password": PASSWORD})
    assert response.status_code == 200
    assert "don&#x27;t match" in response.content.decode()
    # A Global admin without a second factor: told what is missing.
    response = client.post(url, {"username": admin.username, "password": PASSWORD})
    assert "needs a second factor" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # With one: the password, then the second step, then audited and told.
    device = admin.totpdevice_set.create(name="app", confirmed=True)
    response = client.post(url, {"username": admin.username, "password": PASSWORD})
    assert response["Location"].startswith(reverse("accounts:signin_verify"))
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:signin_verify"),
            {"otp_device": device.persistent_id, "otp_token": f"{totp.token():06d}"},
        )
    assert response.status_code == 302, response.content[:400]
    assert int(client.session["_auth_user_id"]) == admin.pk
    assert AuditEvent.objects.filter(action="sso.break_glass", target_id=str(admin.pk)).exists()
    assert [m.to for m in mail.outbox if "without single sign-on" in m.subject] == [
        [other_admin.username]
    ]


def test_self_service_reset_is_refused_for_a_federated_name(client, oidc_idp):
    tenant = make_tenant()
    user = make_user(tenant)
    provider = _provider(oidc_idp, tenant)
    for name in (user.username, f"nobody@{tenant.domain_set.get().name}"):
        response = client.post(reverse("password_reset:start"), {"username": name})
        assert response.status_code == 200
        assert provider.name in response.content.decode()


def test_a_federated_person_is_never_asked_to_change_the_password_here(client, oidc_idp):
    tenant = make_tenant()
    user = make_user(tenant, must_change_password=True)
    _provider(oidc_idp, tenant)
    oidc_idp.add_account(user.username, _claims(user))
    _callback(client, drive_oidc_login(_begin(client, user.username), login=user.username))
    assert client.get(reverse("accounts:my_account")).status_code == 200


def test_our_second_step_after_the_provider_keeps_the_provider_in_the_audit(client, oidc_idp):
    tenant = make_tenant()
    user = make_user(tenant)
    device = user.totpdevice_set.create(name="app", confirmed=True)
    provider = _provider(oidc_idp, tenant)
    oidc_idp.add_account(user.username, _claims(user))
    _callback(client, drive_oidc_login(_begin(client, user.username), login=user.username))
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    response = client.post(
        reverse("accounts:signin_verify"),
        {"otp_device": device.persistent_id, "otp_token": f"{totp.token():06d}"},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.filter(action="signin.success").latest("pk")
    assert event.new_values == {
        "second_factor": True,
        "provider": provider.name,
        "provider_mfa": False,
    }


def test_the_password_page_says_where_the_everyday_password_lives(client, oidc_idp):
    tenant = make_tenant()
    user = make_user(tenant)
    provider = _provider(oidc_idp, tenant)
    oidc_idp.add_account(user.username, _claims(user))
    _callback(client, drive_oidc_login(_begin(client, user.username), login=user.username))
    page = client.get(reverse("accounts:password_change")).content.decode()
    assert 'data-testid="federated-password"' in page and provider.name in page


def test_home_says_the_provider_resets_the_password(client, oidc_idp):
    tenant = make_tenant()
    admin = make_user(tenant, roles=[GLOBAL_ADMIN])
    provider = _provider(oidc_idp, tenant)
    oidc_idp.add_account(admin.username, _claims(admin))
    _callback(client, drive_oidc_login(_begin(client, admin.username), login=admin.username))
    page = client.get(reverse("accounts:home")).content.decode()
    assert f"You sign in at {provider.name}, which resets your password" in page
    assert "Add a verified mobile phone" not in page


def test_the_providers_keys_are_kept_between_sign_ins(client, oidc_idp, monkeypatch):
    from authlib.integrations.django_client import DjangoOAuth2App

    tenant = make_tenant()
    user = make_user(tenant)
    _provider(oidc_idp, tenant)
    oidc_idp.add_account(user.username, _claims(user))
    fetched = []
    original = DjangoOAuth2App.fetch_jwk_set

    def counting(self, force=False):
        if force or not self.server_metadata.get("jwks"):
            fetched.append(force)
        return original(self, force=force)

    monkeypatch.setattr(DjangoOAuth2App, "fetch_jwk_set", counting)
    for _ in range(3):
        _callback(client, drive_oidc_login(_begin(client, user.username), login=user.username))
        assert int(client.session["_auth_user_id"]) == user.pk
        client.logout()
    assert fetched == [False]
