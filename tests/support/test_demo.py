"""The Support area's demo data: an answered request and a closed one."""

import io

import pytest
from django.core.management import call_command

from accounts.models import AuditEvent, Tenant
from support.models import RequestMessage, ServiceRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def seed(settings, monkeypatch):
    settings.DEBUG = True
    monkeypatch.delenv("PORTAL_DEMO_PASSWORD", raising=False)

    def run():
        call_command("seed_demo", users=0, stdout=io.StringIO())
        return Tenant.objects.get(domain__name="contoso.example")

    return run


def test_the_admins_request_is_answered_by_support_and_another_is_closed(seed):
    tenant = seed()
    requests = ServiceRequest.objects.for_tenant(tenant)

    answered = requests.get(status=ServiceRequest.Status.ANSWERED)
    assert answered.created_by.username == "admin@contoso.example"
    assert answered.contact_email == "admin@contoso.example"
    [answer] = answered.messages.all()
    assert answer.from_support and answer.author is None
    assert answer.created_at > answered.created_at

    closed = requests.get(status=ServiceRequest.Status.CLOSED)
    assert closed.messages.filter(from_support=True).exists()
    assert requests.count() == 2
    assert AuditEvent.objects.filter(action="support.request.open").count() == 2
    assert AuditEvent.objects.filter(
        action="support.request.close", target_id=str(closed.pk)
    ).exists()


def test_a_second_run_adds_nothing(seed):
    seed()
    before = (
        ServiceRequest.objects.count(),
        RequestMessage.objects.count(),
        AuditEvent.objects.count(),
    )

    seed()

    assert (
        ServiceRequest.objects.count(),
        RequestMessage.objects.count(),
        AuditEvent.objects.count(),
    ) == before
