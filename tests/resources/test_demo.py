"""The Resources area's demo data: rooms and equipment with free addresses."""

import io

import pytest
from django.core.management import call_command

from accounts.models import AuditEvent, Tenant, User
from groups.models import Group
from resources.models import Resource

pytestmark = pytest.mark.django_db


@pytest.fixture
def seed(settings, monkeypatch):
    settings.DEBUG = True
    monkeypatch.delenv("PORTAL_DEMO_PASSWORD", raising=False)

    def run(users=20):
        call_command("seed_demo", users=users, stdout=io.StringIO())
        return Tenant.objects.get(domain__name="contoso.example")

    return run


def test_rooms_and_equipment_with_addresses_of_the_tenant(seed):
    tenant = seed()
    resources = Resource.objects.for_tenant(tenant)
    rooms = resources.filter(kind=Resource.Kind.ROOM)
    assert rooms.count() >= 3 and resources.filter(kind=Resource.Kind.EQUIPMENT).count() >= 2
    assert all(room.capacity and room.location for room in rooms)
    emails = [resource.email for resource in resources]
    assert all(email.endswith("@contoso.example") for email in emails)
    assert not User.objects.filter(username__in=emails).exists()
    assert not Group.objects.filter(email__in=emails).exists()
    assert AuditEvent.objects.filter(action="resource.create").count() == len(emails)


def test_a_second_run_adds_nothing(seed):
    seed()
    before = (
        Resource.objects.count(),
        AuditEvent.objects.filter(action__startswith="resource.").count(),
    )

    seed()

    assert (
        Resource.objects.count(),
        AuditEvent.objects.filter(action__startswith="resource.").count(),
    ) == before


def test_an_address_taken_meanwhile_is_left_to_its_owner(seed):
    tenant = seed(users=0)
    Resource.objects.for_tenant(tenant).filter(email="boardroom@contoso.example").delete()
    Group.objects.create(
        tenant=tenant, kind="distribution", name="Board", email="boardroom@contoso.example"
    )

    seed(users=0)

    assert not Resource.objects.filter(email="boardroom@contoso.example").exists()
