"""Single sign-on under parallel requests (PostgreSQL and Redis: SQLite serializes writers).

Ten parallel switches of one provider take effect, and are audited and told, once;
ten providers reaching for one domain leave it with one; and one SAML assertion
taken by ten requests at once signs in once (the replay guard is the shared cache).
"""

import types

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.roles import GLOBAL_ADMIN
from sso import saml, services
from sso.models import FederatedDomain, IdentityProvider
from tests.factories import make_tenant, make_user
from tests.helpers import run_together

PARALLEL = 10

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL's concurrent writers (run with DATABASE_URL=postgres://...)",
    ),
    pytest.mark.django_db(transaction=True),
]


def _provider(tenant, name="Entra", **fields):
    return IdentityProvider.objects.create(
        tenant=tenant, name=name, protocol="oidc", issuer="https://idp.example", **fields
    )


def test_parallel_switches_take_effect_once(settings):
    settings.PORTAL_BASE_URL = "http://testserver"
    tenant = make_tenant()
    admin = make_user(tenant, roles=[GLOBAL_ADMIN])
    make_user(tenant, roles=[GLOBAL_ADMIN])
    now = timezone.now()
    provider = _provider(tenant, changed_at=now, tested_at=now)
    FederatedDomain.objects.create(provider=provider, domain=tenant.domain_set.get())

    def switch_on():
        fresh = IdentityProvider.objects.get(pk=provider.pk)
        return services.provider_switch(tenant=tenant, acting_user=admin, provider=fresh, on=True)

    results = run_together(*[switch_on] * PARALLEL)
    assert all(isinstance(r, IdentityProvider) and r.is_enabled for r in results), results
    assert AuditEvent.objects.filter(action="sso.provider_on").count() == 1
    assert len([m for m in mail.outbox if "switched on" in m.subject]) == 1


def test_parallel_providers_reaching_for_one_domain_leave_it_with_one():
    tenant = make_tenant()
    admin = make_user(tenant, roles=[GLOBAL_ADMIN])
    domain = tenant.domain_set.get()
    providers = [_provider(tenant, name=f"P{n}") for n in range(PARALLEL)]

    def take(provider):
        return lambda: services.provider_change(
            tenant=tenant,
            acting_user=admin,
            provider=provider,
            data={"client_secret": "s"},
            domains=[domain],
        )

    import sso.oidc

    original = sso.oidc.fetch_metadata
    sso.oidc.fetch_metadata = lambda issuer, fresh=False: {}
    try:
        results = run_together(*[take(p) for p in providers])
    finally:
        sso.oidc.fetch_metadata = original
    taken = [r for r in results if isinstance(r, IdentityProvider)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(taken) == 1 and len(refused) == PARALLEL - 1, results
    assert FederatedDomain.objects.filter(domain=domain).count() == 1


def test_one_assertion_taken_by_parallel_requests_is_taken_once():
    tenant = make_tenant()
    provider = _provider(tenant)
    assertion = types.SimpleNamespace(id="_assertion-1", conditions=None)

    def take():
        saml._remember_once(provider, assertion)
        return "taken"

    results = run_together(*[take] * PARALLEL)
    assert results.count("taken") == 1
    assert all(isinstance(r, saml.SamlError) for r in results if r != "taken")
