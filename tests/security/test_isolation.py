"""Tenant isolation sweep: every URL that takes an object id hides other tenants' objects.

The sweep walks the whole URLconf, so a new area's detail/edit/delete views are
covered the moment they are routed. For each such route it needs to know how to
make an object of the view's model for a tenant: add a factory to FACTORIES
below when this test fails for your new model.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.converters import IntConverter
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.audit import audit_record
from accounts.models import AuditEvent, Domain, PartnerRelationship, RoleAssignment, User
from accounts.partners import partner_request
from accounts.roles import GLOBAL_ADMIN, HELPDESK_ADMIN, USER_ADMIN
from api.models import ApiClient
from api.services import api_client_create
from billing.models import Invoice, PaymentMethod, Subscription
from groups.models import DeletedGroup, Group
from resources.models import Resource
from security_info.models import PasskeyDevice
from sso.models import FederatedDomain, IdentityProvider
from support.models import ServiceRequest
from tests.billing.factories import make_invoice_method, make_subscription
from tests.factories import make_tenant, make_user
from tests.helpers import assert_not_found, sign_in
from users.models import DeletedUser, ExportJob, ImportJob
from users.services import users_delete

pytestmark = pytest.mark.django_db

# Namespaces not swept: the operators' site is for operators only (no tenant), and
# its own access rule is tested in tests/accounts/test_admin.py.
# The operators' site; and the REST API, which signs in with an API client's secret,
# not a session: tests/api/test_isolation.py sweeps each of its routes the same way;
# and SCIM, the same (tests/scim/test_isolation.py).
SKIPPED_NAMESPACES = {"admin", "api-v1", "scim"}

# Routes with an object id whose view has no ``model`` to look up. Each entry
# must say why the route cannot leak another tenant's object.
ALLOWED_WITHOUT_MODEL = {
    # "area:route_name": "why it is safe",
    "health:incident_detail": "service health is the platform's, the same for every tenant",
    "health:message_detail": "announcements are the platform's, the same for every tenant",
    # An identity provider's own addresses name it by its public id: they answer every
    # browser by design, and sign in only people of that provider's organization
    # (tests/sso).
    "sso:oidc_callback": "an identity provider's redirect URI, public by design",
    "sso:saml_metadata": "a service provider's metadata, public by design",
    "sso:saml_acs": "a SAML assertion consumer, public by design",
    "sso:saml_finish": "the second half of the assertion consumer, public by design",
    "sso:saml_sls": "a SAML single logout address, public by design",
}


def _make_domain(tenant, admin):
    n = Domain.objects.count() + 1
    return Domain.objects.create(tenant=tenant, name=f"isolation{n}-{tenant.pk}.example")


def _make_identity_provider(tenant, admin):
    from sso.oidc import seal_client_secret

    provider = IdentityProvider.objects.create(
        tenant=tenant,
        name="Entra",
        protocol=IdentityProvider.Protocol.OIDC,
        issuer="https://login.example/tenant",
        client_id="portal",
        client_secret_sealed=seal_client_secret("secret"),
    )
    FederatedDomain.objects.create(provider=provider, domain=tenant.domain_set.get(is_default=True))
    return provider


def _make_deleted_user(tenant, admin):
    user = make_user(tenant)
    users_delete(tenant=tenant, acting_user=admin, users=[user])
    return DeletedUser.objects.get(pk=user.pk)


def _make_invoice(tenant, admin):
    from datetime import date

    from billing.invoicing import invoices_generate
    from billing.models import Charge

    subscription = make_subscription(tenant, start=date(2026, 4, 1))
    Charge.objects.create(
        tenant=tenant,
        subscription=subscription,
        kind=Charge.Kind.PURCHASE,
        description="Purchase",
        quantity=1,
        unit_price=subscription.unit_term_price,
        amount=subscription.unit_term_price,
        occurred_on=date(2026, 4, 1),
    )
    [invoice] = invoices_generate(period="2026-04", today=date(2026, 5, 1))
    return invoice


def _make_role_assignment(tenant, admin):
    return RoleAssignment.objects.create(
        tenant=tenant, user=make_user(tenant), role=HELPDESK_ADMIN, assigned_by=admin
    )


def _make_partner_relationship(tenant, admin):
    # The organization is the customer of a partner's request, waiting for its decision.
    partner = make_tenant(is_partner=True)
    return partner_request(
        actor=make_user(partner, roles=[GLOBAL_ADMIN]),
        domain=tenant.domain_set.get(is_default=True).name,
        roles=[USER_ADMIN],
        days=30,
    )


# Actions whose owner (the factory's organization, admin_b) is refused for its side of
# the object, not for the object: they answer the owner 403. Each says why.
REFUSED_TO_THE_OWNERS_SIDE = {
    "org_settings:partner_withdraw": "only the partner withdraws a request; the factory's "
    "organization is its customer (tests/org_settings/test_partner_views.py covers both)",
}


# model -> callable(tenant, that tenant's Global admin) returning an object of the tenant.
FACTORIES = {
    ApiClient: lambda tenant, admin: api_client_create(
        tenant=tenant, acting_user=admin, name="Sync", roles=[USER_ADMIN]
    )[0],
    AuditEvent: lambda tenant, admin: audit_record(
        action="role.assign", tenant=tenant, actor=admin, target=admin, new={"role": "x"}
    ),
    User: lambda tenant, admin: make_user(tenant),
    DeletedUser: _make_deleted_user,
    Subscription: lambda tenant, admin: make_subscription(tenant),
    Invoice: _make_invoice,
    PaymentMethod: lambda tenant, admin: make_invoice_method(tenant),
    Resource: lambda tenant, admin: Resource.objects.create(
        tenant=tenant, kind="room", name="R", email=f"room-{tenant.pk}@x.example"
    ),
    ServiceRequest: lambda tenant, admin: ServiceRequest.objects.create(
        tenant=tenant, title="T", description="D", severity="low", contact_email="a@b.example"
    ),
    Group: lambda tenant, admin: Group.objects.create(tenant=tenant, kind="security", name="G"),
    DeletedGroup: lambda tenant, admin: DeletedGroup.objects.create(
        tenant=tenant, kind="security", name="Gone", deleted_at=timezone.now()
    ),
    ImportJob: lambda tenant, admin: ImportJob.objects.create(
        tenant=tenant, created_by=admin, file_name="users.csv", total=0, status="done"
    ),
    ExportJob: lambda tenant, admin: ExportJob.objects.create(
        tenant=tenant, created_by=admin, total=0, status="done"
    ),
    Domain: _make_domain,
    PartnerRelationship: _make_partner_relationship,
    RoleAssignment: _make_role_assignment,
    IdentityProvider: _make_identity_provider,
    TOTPDevice: lambda tenant, admin: TOTPDevice.objects.create(
        user=admin, name="Phone", confirmed=True
    ),
    PasskeyDevice: lambda tenant, admin: PasskeyDevice.objects.create(
        user=admin,
        name="Key",
        confirmed=True,
        credential_id=b"id-%d" % admin.pk,
        credential_key=f"{admin.pk:064x}",
        public_key=b"key",
        user_handle=b"handle",
    ),
}


def _is_object_id(name, converter):
    return name == "pk" or name.endswith("_id") or isinstance(converter, IntConverter)


def _id_params(pattern):
    """Return the names of the route's parameters that carry an object id."""
    converters = getattr(pattern.pattern, "converters", None) or {}
    if converters:
        return [name for name, conv in converters.items() if _is_object_id(name, conv)]
    # A regex route: its named groups.
    groups = pattern.pattern.regex.groupindex
    return [name for name in groups if _is_object_id(name, None)]


def _walk(patterns, namespaces=()):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in SKIPPED_NAMESPACES:
                continue
            inner = (*namespaces, entry.namespace) if entry.namespace else namespaces
            yield from _walk(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            yield namespaces, entry


def object_routes():
    """Yield (url name, id parameter names, model or None) for every route with an id."""
    for namespaces, pattern in _walk(get_resolver().url_patterns):
        params = _id_params(pattern)
        if not params:
            continue
        assert pattern.name, f"a route with an object id has no name: {pattern.pattern}"
        name = ":".join((*namespaces, pattern.name))
        view_class = getattr(pattern.callback, "view_class", None)
        model = getattr(view_class, "model", None)
        yield name, params, model


ROUTES = sorted(object_routes(), key=lambda route: route[0])


def test_the_sweep_finds_routes_with_object_ids():
    names = [name for name, _params, _model in ROUTES]
    assert names, "no route with an object id found: the sweep would pass vacuously"
    assert "accounts:auditevent_detail" in names


def test_every_route_with_an_id_has_a_model_or_a_written_reason():
    unexplained = [
        name
        for name, _params, model in ROUTES
        if model is None and name not in ALLOWED_WITHOUT_MODEL
    ]
    assert not unexplained, (
        "These routes take an object id but their view has no `model`: give the view a "
        f"model, or add the route to ALLOWED_WITHOUT_MODEL with the reason: {unexplained}"
    )
    for name, reason in ALLOWED_WITHOUT_MODEL.items():
        assert reason.strip(), f"{name} needs a reason in ALLOWED_WITHOUT_MODEL"


def test_every_routed_model_has_a_factory():
    missing = sorted(
        {model._meta.label for _name, _params, model in ROUTES if model and model not in FACTORIES}
    )
    assert not missing, f"Add a factory for {missing} to FACTORIES in {__name__}"


@pytest.fixture
def two_tenants():
    tenant_a, tenant_b = make_tenant(), make_tenant()
    return {
        "admin_a": make_user(tenant_a, roles=[GLOBAL_ADMIN]),
        "admin_b": make_user(tenant_b, roles=[GLOBAL_ADMIN]),
        "tenant_b": tenant_b,
    }


@pytest.mark.parametrize(
    ("name", "params", "model"),
    [route for route in ROUTES if route[2] is not None],
    ids=[route[0] for route in ROUTES if route[2] is not None],
)
def test_other_tenants_object_is_not_found(client, two_tenants, name, params, model):
    assert len(params) == 1, f"{name}: only routes with one object id are swept, not {params}"
    factory = FACTORIES.get(model)
    assert factory is not None, f"Add a factory for {model._meta.label} to FACTORIES"
    obj = factory(two_tenants["tenant_b"], two_tenants["admin_b"])
    url = reverse(name, kwargs={params[0]: obj.pk})
    # An action's route (POST only) is swept with an empty POST.
    view_class = resolve(url).func.view_class
    post_only = "get" not in view_class.http_method_names or not hasattr(view_class, "get")
    send = client.post if post_only else client.get

    sign_in(client, two_tenants["admin_a"])
    foreign = send(url)
    assert_not_found(foreign)
    missing = send(reverse(name, kwargs={params[0]: _missing_pk(model)}))
    assert_not_found(missing)
    # Another tenant's object looks exactly like one that does not exist.
    assert _without_csrf(foreign) == _without_csrf(missing)

    client.logout()
    sign_in(client, two_tenants["admin_b"])
    own = send(url)
    if post_only and name in REFUSED_TO_THE_OWNERS_SIDE:
        assert own.status_code == 403, own
        return
    if post_only:
        # The owner's action is taken up (done, or refused for its input), not hidden.
        assert own.status_code not in (403, 404, 405), own
        return
    # The owner reaches the object, or is first asked to confirm it's them.
    assert own.status_code == 200 or own.url.startswith(reverse("security_info:reauth")), own


def _without_csrf(response):
    # The CSRF token is masked differently on every response, and the language
    # switcher carries the page's own path back (the id asked for, nothing more).
    content = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())
    return re.sub(r'name="next" value="[^"]*"', "", content)


def _missing_pk(model):
    last = model._default_manager.order_by("-pk").values_list("pk", flat=True).first()
    return (last or 0) + 1000
