"""Single sign-on across a SECRET_KEY rotation, and who a provider may not bring in."""

import secrets

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from accounts.roles import GLOBAL_ADMIN
from sso import oidc, saml, services
from sso.models import FederatedDomain, IdentityProvider
from tests.factories import make_tenant, make_user
from tests.helpers import sign_in
from tests.sso.idp.saml_idp import SamlIdP
from users.services import users_delete

pytestmark = pytest.mark.django_db

OLD_KEY = "the-key-of-last-year-" * 3
NEW_KEY = "the-key-of-this-year-" * 3


@pytest.fixture(autouse=True)
def _sso_settings(settings):
    settings.PORTAL_SSO_ALLOW_HTTP = True
    settings.PORTAL_BASE_URL = "http://testserver"
    settings.SECRET_KEY = OLD_KEY
    settings.SECRET_KEY_FALLBACKS = []


@pytest.fixture(scope="module")
def idp():
    provider = SamlIdP("http://127.0.0.1:9")
    yield provider
    provider.close()


def _providers(tenant, idp):
    key, certificate = saml.new_key_pair("t")
    oidc_provider = IdentityProvider.objects.create(
        tenant=tenant,
        name="OIDC",
        protocol="oidc",
        issuer="http://127.0.0.1:9/idp",
        client_id="c",
        client_secret_sealed=oidc.seal_client_secret("the secret"),
    )
    saml_provider = IdentityProvider.objects.create(
        tenant=tenant,
        name="SAML",
        protocol="saml",
        metadata_xml=idp.metadata_xml(),
        idp_entity_id=idp.entity_id,
        sp_private_key_sealed=key,
        sp_certificate=certificate,
    )
    return oidc_provider, saml_provider


def test_reseal_after_a_rotation_keeps_every_provider_working(settings, idp):
    oidc_provider, saml_provider = _providers(make_tenant(), idp)
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW_KEY, [OLD_KEY]
    call_command("sso_reseal")
    settings.SECRET_KEY_FALLBACKS = []
    oidc_provider.refresh_from_db()
    saml_provider.refresh_from_db()
    assert oidc.client_secret(oidc_provider) == "the secret"
    assert b"EntityDescriptor" in saml.sp_metadata(saml_provider)


def test_a_lost_key_answers_with_pages_not_errors(client, settings, idp):
    tenant = make_tenant()
    oidc_provider, saml_provider = _providers(tenant, idp)
    settings.SECRET_KEY = NEW_KEY
    with pytest.raises(CommandError):
        call_command("sso_reseal")
    url = reverse("sso:saml_metadata", args=[saml_provider.public_id])
    assert client.get(url).status_code == 503
    with pytest.raises(oidc.OidcError):
        oidc.client_secret(oidc_provider)
    # Changing the SAML provider makes a new key pair; the OIDC one asks for its secret.
    admin = make_user(tenant, roles=[GLOBAL_ADMIN])
    sign_in(client, admin)
    services.provider_change(
        tenant=tenant, acting_user=admin, provider=saml_provider, data={}, domains=[]
    )
    saml_provider.refresh_from_db()
    assert client.get(url).status_code == 200
    with pytest.raises(Exception, match="enter it again"):
        services.provider_change(
            tenant=tenant,
            acting_user=admin,
            provider=oidc_provider,
            data={"client_secret": ""},
            domains=[],
        )


def _federated(tenant, **fields):
    provider = IdentityProvider.objects.create(
        tenant=tenant, name=f"P{secrets.token_hex(2)}", protocol="oidc", is_enabled=True, **fields
    )
    FederatedDomain.objects.create(provider=provider, domain=tenant.domain_set.get())
    return provider


def test_a_deleted_person_is_refused_and_never_made_anew(settings):
    tenant = make_tenant()
    admin = make_user(tenant, roles=[GLOBAL_ADMIN])
    person = make_user(tenant)
    name = person.username
    users_delete(tenant=tenant, acting_user=admin, users=[person])
    provider = _federated(tenant, jit_create=True)
    with pytest.raises(services.SignInRefused) as refused:
        services.federated_user(provider, name, {})
    assert refused.value.code == "disabled"
    assert not type(person).objects.filter(username=name).exists()


def test_an_address_the_provider_has_not_verified_is_refused():
    tenant = make_tenant()
    person = make_user(tenant)
    provider = _federated(tenant)
    with pytest.raises(services.SignInRefused) as refused:
        services.federated_user(provider, person.username, {}, verified=False)
    assert refused.value.code == "unverified"
    assert services.federated_user(provider, person.username, {}) == person


def test_entra_names_its_second_factor_in_an_attribute():
    methods = {saml.METHODS_ATTRIBUTE: ["http://schemas.microsoft.com/claims/multipleauthn"]}
    password = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
    assert saml.used_mfa({"class_ref": password, "attributes": methods})
    assert not saml.used_mfa({"class_ref": password, "attributes": {}})


def test_every_call_to_a_provider_has_a_timeout(settings):
    settings.PORTAL_SSO_TIMEOUT = 3.5
    tenant = make_tenant()
    provider = _federated(
        tenant,
        issuer="https://idp.example",
        client_id="c",
        client_secret_sealed=oidc.seal_client_secret("s"),
    )
    metadata = {
        "issuer": "https://idp.example",
        "authorization_endpoint": "a",
        "token_endpoint": "t",
        "jwks_uri": "j",
    }
    app = oidc._app(provider, metadata)
    with app._get_oauth_client(**metadata) as session:
        assert session.default_timeout == 3.5
