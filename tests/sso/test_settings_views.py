"""Settings > Single sign-on: who sees and changes it, and every answer of its pages."""

import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import AuditEvent, Domain
from accounts.roles import GLOBAL_ADMIN, GLOBAL_READER, HELPDESK_ADMIN
from sso import urls_for
from sso.models import IdentityProvider
from tests.factories import make_tenant, make_user
from tests.helpers import assert_forbidden, assert_not_found, left_for, sign_in
from tests.sso.idp.drive import drive_oidc_login, drive_saml_login

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sso_settings(settings):
    settings.PORTAL_SSO_ALLOW_HTTP = True
    settings.PORTAL_BASE_URL = "http://testserver"


@pytest.fixture
def org():
    tenant = make_tenant()
    return {
        "tenant": tenant,
        "admin": make_user(tenant, roles=[GLOBAL_ADMIN]),
        "second_admin": make_user(tenant, roles=[GLOBAL_ADMIN]),
        "reader": make_user(tenant, roles=[GLOBAL_READER]),
        "helpdesk": make_user(tenant, roles=[HELPDESK_ADMIN]),
        "domain": tenant.domain_set.get(),
    }


def _oidc_form(oidc_idp, org, **changes):
    return {
        "name": f"Entra {secrets.token_hex(3)}",
        "issuer": oidc_idp.issuer,
        "client_id": f"portal-{secrets.token_hex(4)}",
        "client_secret": secrets.token_urlsafe(16),
        "scopes": "openid email profile",
        "username_claim": "email",
        "domains": [org["domain"].pk],
        **changes,
    }


def _add_oidc(client, oidc_idp, org, **changes):
    data = _oidc_form(oidc_idp, org, **changes)
    response = client.post(reverse("sso:provider_add", args=["oidc"]), data)
    return response, data


def test_the_global_admin_adds_an_oidc_provider_switched_off(
    client, org, oidc_idp, django_capture_on_commit_callbacks
):
    sign_in(client, org["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        response, data = _add_oidc(client, oidc_idp, org)
    provider = IdentityProvider.objects.get(tenant=org["tenant"])
    assert response.status_code == 302
    assert response["Location"] == reverse("sso:provider_detail", args=[provider.pk])
    assert not provider.is_enabled
    assert (
        provider.client_secret_sealed and data["client_secret"] not in provider.client_secret_sealed
    )
    assert [d.domain for d in provider.federated_domains.all()] == [org["domain"]]
    event = AuditEvent.objects.get(action="sso.provider_add")
    assert data["client_secret"] not in str(event.new_values)
    assert sorted(mail.outbox[-1].to) == sorted(
        [org["admin"].username, org["second_admin"].username]
    )
    page = client.get(response["Location"]).content.decode()
    assert urls_for.oidc_redirect_uri(provider) in page


@pytest.mark.parametrize(
    ("changes", "field", "text"),
    [
        ({"issuer": "http://127.0.0.1:9/nothing"}, "issuer", "discovery document"),
        ({"client_secret": ""}, "client_secret", "Enter the client secret"),
        ({"name": ""}, "name", "required"),
        ({"issuer": "not a url"}, "issuer", "valid URL"),
    ],
)
def test_bad_input_is_shown_at_its_field(client, org, oidc_idp, changes, field, text):
    sign_in(client, org["admin"])
    response, _data = _add_oidc(client, oidc_idp, org, **changes)
    assert response.status_code == 200
    assert text in str(response.context["form"].errors[field])
    assert not IdentityProvider.objects.exists()


def test_http_addresses_are_refused_in_production(client, org, oidc_idp, settings):
    settings.PORTAL_SSO_ALLOW_HTTP = False
    sign_in(client, org["admin"])
    response, _data = _add_oidc(client, oidc_idp, org)
    assert "https://" in str(response.context["form"].errors["issuer"])


def test_an_unverified_or_foreign_domain_cannot_be_attached(client, org, oidc_idp):
    unverified = Domain.objects.create(
        tenant=org["tenant"], name=f"new{secrets.token_hex(3)}.example"
    )
    foreign = make_tenant().domain_set.get()
    sign_in(client, org["admin"])
    for domain in (unverified, foreign):
        response, _data = _add_oidc(client, oidc_idp, org, domains=[domain.pk])
        assert response.status_code == 200
        assert "domains" in response.context["form"].errors
    assert not IdentityProvider.objects.exists()


def test_a_domain_signs_in_at_one_provider_only(client, org, oidc_idp):
    sign_in(client, org["admin"])
    _add_oidc(client, oidc_idp, org)
    response, _data = _add_oidc(client, oidc_idp, org)
    assert "already signs in with" in str(response.context["form"].errors["domains"])


def test_the_reader_sees_and_cannot_change(client, org, oidc_idp):
    sign_in(client, org["admin"])
    _add_oidc(client, oidc_idp, org)
    provider = IdentityProvider.objects.get()
    client.logout()
    sign_in(client, org["reader"])
    page = client.get(reverse("sso:provider_list"))
    assert page.status_code == 200
    assert provider.name in page.content.decode()
    assert 'data-testid="read-only"' in page.content.decode()
    assert client.get(reverse("sso:provider_detail", args=[provider.pk])).status_code == 200
    assert_forbidden(
        client.post(reverse("sso:provider_add", args=["oidc"]), _oidc_form(oidc_idp, org))
    )
    for name in (
        "provider_on",
        "provider_off",
        "provider_test",
        "provider_remove",
        "provider_change",
    ):
        assert_forbidden(client.post(reverse(f"sso:{name}", args=[provider.pk])))


def test_other_admins_do_not_see_single_sign_on(client, org):
    sign_in(client, org["helpdesk"])
    assert_forbidden(client.get(reverse("sso:provider_list")))
    assert "/settings/sso/" not in client.get(reverse("accounts:home")).content.decode()


def test_another_organizations_provider_is_not_found(client, org, oidc_idp):
    other = make_tenant()
    other_admin = make_user(other, roles=[GLOBAL_ADMIN])
    sign_in(client, other_admin)
    _add_oidc(client, oidc_idp, {"domain": other.domain_set.get()})
    provider = IdentityProvider.objects.get(tenant=other)
    client.logout()
    sign_in(client, org["admin"])
    for name in ("provider_detail", "provider_change", "provider_remove"):
        assert_not_found(client.get(reverse(f"sso:{name}", args=[provider.pk])))
    for name in ("provider_on", "provider_off", "provider_test", "provider_remove"):
        assert_not_found(client.post(reverse(f"sso:{name}", args=[provider.pk])))
    assert client.get(reverse("sso:provider_add", args=["ldap"])).status_code == 404


def test_a_provider_goes_on_only_after_a_test_that_worked(
    client, org, oidc_idp, django_capture_on_commit_callbacks
):
    sign_in(client, org["admin"])
    _add_oidc(client, oidc_idp, org)
    provider = IdentityProvider.objects.get()
    oidc_idp.add_client(
        provider.client_id,
        _client_secret(provider),
        [urls_for.oidc_redirect_uri(provider)],
    )
    detail = reverse("sso:provider_detail", args=[provider.pk])
    response = client.post(reverse("sso:provider_on", args=[provider.pk]), follow=True)
    assert "Run a test sign-in" in response.content.decode()
    provider.refresh_from_db()
    assert not provider.is_enabled

    # The test: the admin signs in at the provider with an account of the domain.
    tester = f"tester@{org['domain'].name}"
    oidc_idp.add_account(tester, {"email": tester, "name": "Test Er", "amr": ["pwd"]})
    started = client.post(reverse("sso:provider_test", args=[provider.pk]))
    assert left_for(started).startswith(oidc_idp.issuer)
    back = urlsplit(drive_oidc_login(left_for(started), login=tester))
    response = client.get(back.path, parse_qs(back.query))
    assert response["Location"] == detail
    page = client.get(detail).content.decode()
    assert tester in page and 'data-testid="claims-table"' in page
    # The admin is still themselves: a test signs nobody in.
    assert int(client.session["_auth_user_id"]) == org["admin"].pk

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("sso:provider_on", args=[provider.pk]))
    provider.refresh_from_db()
    assert provider.is_enabled
    assert AuditEvent.objects.filter(action="sso.provider_on").exists()
    assert "switched on" in mail.outbox[-1].body

    # A change asks for a new test; an enabled provider cannot be removed.
    assert_forbidden_or_kept = client.post(reverse("sso:provider_remove", args=[provider.pk]))
    assert assert_forbidden_or_kept.status_code == 200
    assert IdentityProvider.objects.filter(pk=provider.pk).exists()
    response = client.post(reverse("sso:provider_off", args=[provider.pk]))
    assert response.status_code == 302
    response = client.post(reverse("sso:provider_remove", args=[provider.pk]))
    assert response["Location"] == reverse("sso:provider_list")
    assert not IdentityProvider.objects.filter(pk=provider.pk).exists()
    assert AuditEvent.objects.filter(action="sso.provider_remove").exists()


def test_a_change_is_audited_and_asks_for_a_new_test(client, org, oidc_idp):
    sign_in(client, org["admin"])
    _response, data = _add_oidc(client, oidc_idp, org)
    provider = IdentityProvider.objects.get()
    provider.tested_at = provider.changed_at
    provider.save()
    sealed = provider.client_secret_sealed
    response = client.post(
        reverse("sso:provider_change", args=[provider.pk]),
        {**data, "client_secret": "", "username_claim": "preferred_username"},
    )
    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.username_claim == "preferred_username"
    assert provider.client_secret_sealed == sealed  # empty keeps the secret
    assert not provider.tested_since_change
    event = AuditEvent.objects.get(action="sso.provider_change")
    assert event.new_values == {"username_claim": "preferred_username"}


def test_a_saml_provider_from_its_metadata_url(client, org, saml_idp, live_server, settings):
    settings.PORTAL_BASE_URL = live_server.url
    sign_in(client, org["admin"])
    response = client.post(
        reverse("sso:provider_add", args=["saml"]),
        {"name": "ADFS", "metadata_url": saml_idp.metadata_url, "domains": [org["domain"].pk]},
    )
    assert response.status_code == 302, response.context and response.context["form"].errors
    provider = IdentityProvider.objects.get()
    assert provider.idp_entity_id == saml_idp.entity_id
    assert provider.sp_certificate.startswith("-----BEGIN CERTIFICATE-----")
    page = client.get(response["Location"]).content.decode()
    assert urls_for.saml_metadata_url(provider) in page

    # The test sign-in, through the IdP, which reads the portal's metadata itself.
    tester = f"tester@{org['domain'].name}"
    saml_idp.add_account(tester, {"email": tester, "givenName": "Test", "sn": "Er"})
    started = client.post(reverse("sso:provider_test", args=[provider.pk]))
    acs, fields = drive_saml_login(left_for(started), login=tester, mfa=True)
    assert acs == urls_for.saml_acs_url(provider)
    posted = client.post(urlsplit(acs).path, fields)
    finish = urlsplit(posted["Location"])
    response = client.get(finish.path, parse_qs(finish.query))
    assert response["Location"] == reverse("sso:provider_detail", args=[provider.pk])
    provider.refresh_from_db()
    assert provider.test_claims["_portal"] == {"sign_in_name": tester, "second_factor": True}


def test_a_saml_provider_needs_real_metadata(client, org):
    sign_in(client, org["admin"])
    response = client.post(
        reverse("sso:provider_add", args=["saml"]),
        {"name": "Broken", "domains": [org["domain"].pk]},
    )
    assert "metadata" in str(response.context["form"].errors)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("sso:provider_add", args=["saml"]),
        {
            "name": "Broken",
            "metadata_file": SimpleUploadedFile("m.xml", b"<not-metadata/>"),
            "domains": [org["domain"].pk],
        },
    )
    assert "not the metadata" in str(response.context["form"].errors)
    assert not IdentityProvider.objects.exists()


def _client_secret(provider):
    from sso.oidc import client_secret

    return client_secret(provider)


def test_the_list_and_a_provider_page_read_a_fixed_number_of_queries(
    client, org, django_assert_max_num_queries
):
    from tests.security.test_isolation import _make_identity_provider

    sign_in(client, org["admin"])
    provider = _make_identity_provider(org["tenant"], org["admin"])
    for n in range(5):
        extra = Domain.objects.create(
            tenant=org["tenant"], name=f"extra{n}-{secrets.token_hex(3)}.example", is_verified=True
        )
        other = IdentityProvider.objects.create(
            tenant=org["tenant"], name=f"P{n}", protocol="oidc", issuer="https://x.example"
        )
        other.federated_domains.create(domain=extra)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("sso:provider_list")).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("sso:provider_detail", args=[provider.pk])).status_code == 200
