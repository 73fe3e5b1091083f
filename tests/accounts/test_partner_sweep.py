"""A partner's admin acting in a customer gets what the customer's own holder of those roles gets.

The sweep walks the whole URLconf (tests/accounts/test_global_reader.py), so a new
page is covered the moment it is routed. A partner's admin acting with some roles
gets, on every page of the customer, the answer a person of the customer with the
same roles gets, the page says whom they act for, and no POST fails; acting as
Global reader, no POST records a change.
"""

import pytest
from django.test import Client

from accounts.middleware import PERSONAL_PAGES
from accounts.models import AuditEvent
from accounts.partners import (
    ACTING_SESSION_KEY,
    grantable_roles,
    partner_access_set,
    partner_decide,
    partner_request,
)
from accounts.roles import GLOBAL_ADMIN, GLOBAL_READER, HELPDESK_ADMIN
from tests.accounts.test_global_reader import (
    OWN_ACCOUNT_NAMESPACES,
    OWN_ACCOUNT_ROUTES,
    OWNED_BY_THE_VIEWER,
    READ_OR_REFUSAL_EVENTS,
    ROUTES,
    People,
    urls,
)
from tests.factories import make_tenant, make_user
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db

# The switcher itself, and the pages that are the acting person's own.
PERSONAL = OWN_ACCOUNT_ROUTES | PERSONAL_PAGES


def _personal_or_owned(name):
    if name.split(":")[0] in OWN_ACCOUNT_NAMESPACES or name in PERSONAL:
        return True
    view_class = getattr(ROUTES[name].callback, "view_class", None)
    return getattr(view_class, "model", None) in OWNED_BY_THE_VIEWER


ROLE_SETS = {"reader": [GLOBAL_READER], "every role but Global admin": grantable_roles()}


@pytest.fixture(params=sorted(ROLE_SETS))
def roles(request):
    return request.param, ROLE_SETS[request.param]


@pytest.fixture
def people():
    return People()


@pytest.fixture
def clients(people, roles):
    """(a client of the customer's own holder of ``roles``, a client of the acting partner)."""
    _label, codes = roles
    own = people.reader if codes == [GLOBAL_READER] else make_user(people.tenant, roles=codes)
    partner = make_tenant("Fabrikam Partners", is_partner=True)
    boss = make_user(partner, "boss", roles=[GLOBAL_ADMIN])
    person = make_user(partner, "hal", roles=[HELPDESK_ADMIN])
    domain = people.tenant.domain_set.get(is_default=True).name
    relationship = partner_request(actor=boss, domain=domain, roles=codes, days=30)
    partner_decide(actor=people.admin, relationship=relationship, approve=True)
    partner_access_set(actor=boss, relationship=relationship, user=person, roles=codes)
    acting = sign_in(Client(), person)
    session = acting.session
    session[ACTING_SESSION_KEY] = relationship.pk
    session.save()
    return sign_in(Client(), own), acting


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_a_partner_acting_with_roles_gets_what_the_customers_own_holder_gets(
    people, roles, clients, name
):
    if _personal_or_owned(name):
        pytest.skip("the acting person's own pages")
    label, codes = roles
    own_client, partner_client = clients
    for url in urls(name, people, people.reader):
        expected = own_client.get(url, follow=True)
        got = partner_client.get(url, follow=True)
        assert got.status_code == expected.status_code, (
            f"GET {url} with {label}: the customer's own admin gets {expected.status_code}, "
            f"the acting partner {got.status_code}"
        )
        page = got.status_code == 200 and not got.streaming
        if page and b'class="shell"' in got.content:
            assert b'data-testid="acting-banner"' in got.content, f"GET {url}: no banner"
        last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        for body in ({}, {"action": "delete"}):
            response = partner_client.post(url, body)
            assert response.status_code < 500, f"POST {url} {body}: {response.status_code}"
        if codes == [GLOBAL_READER]:
            recorded = set(AuditEvent.objects.filter(pk__gt=last).values_list("action", flat=True))
            assert recorded <= set(READ_OR_REFUSAL_EVENTS), f"POST {url} recorded {recorded}"
