"""Partner relationships under parallel requests (PostgreSQL: SQLite serializes writers).

Ten parallel requests of one partner to one customer leave one open request, and
ten parallel approvals and ends of it take effect once each: one audit event per
side, never a relationship approved twice or ended while being approved.
"""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from accounts.models import AuditEvent, PartnerRelationship
from accounts.partners import partner_decide, partner_end, partner_request
from accounts.roles import GLOBAL_ADMIN, HELPDESK_ADMIN
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


def _outcomes(results):
    assert not [r for r in results if not isinstance(r, PartnerRelationship | ValidationError)], (
        results
    )
    return [r for r in results if isinstance(r, PartnerRelationship)]


def test_parallel_requests_open_one_and_approvals_and_ends_count_once():
    partner = make_tenant("Fabrikam Partners", is_partner=True)
    customer = make_tenant("Contoso")
    boss = make_user(partner, roles=[GLOBAL_ADMIN])
    owner = make_user(customer, roles=[GLOBAL_ADMIN])
    domain = customer.domain_set.get(is_default=True).name

    def ask():
        return partner_request(actor=boss, domain=domain, roles=[HELPDESK_ADMIN], days=30)

    [relationship] = _outcomes(run_together(*[ask] * PARALLEL))
    assert PartnerRelationship.objects.count() == 1

    def approve():
        return partner_decide(actor=owner, relationship=relationship, approve=True)

    assert len(_outcomes(run_together(*[approve] * PARALLEL))) == 1
    assert AuditEvent.objects.filter(action="partner.approve").count() == 2  # one per side

    def end():
        return partner_end(actor=owner, relationship=relationship)

    assert len(_outcomes(run_together(*[end] * PARALLEL))) == 1
    assert AuditEvent.objects.filter(action="partner.end").count() == 2
    relationship.refresh_from_db()
    assert relationship.status == PartnerRelationship.Status.ENDED
