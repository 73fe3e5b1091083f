"""The Health area's demo data: added to an empty platform only."""

import io

import pytest
from django.core.management import call_command

from health.models import Announcement, Incident, IncidentUpdate, Service

pytestmark = pytest.mark.django_db


@pytest.fixture
def seed(settings, monkeypatch):
    settings.DEBUG = True
    monkeypatch.delenv("PORTAL_DEMO_PASSWORD", raising=False)

    def run():
        call_command("seed_demo", users=0, stdout=io.StringIO())

    return run


def counts():
    return [model.objects.count() for model in (Service, Incident, IncidentUpdate, Announcement)]


def test_services_a_resolved_incident_an_active_advisory_and_two_announcements(seed):
    seed()

    assert Service.objects.count() >= 5
    resolved = Incident.objects.get(status=Incident.Status.RESOLVED)
    assert resolved.updates.count() == 2 and resolved.resolved_at > resolved.started_at
    assert all(
        resolved.started_at <= update.posted_at <= resolved.resolved_at
        for update in resolved.updates.all()
    )
    advisory = Incident.objects.get(status=Incident.Status.OPEN)
    assert advisory.resolved_at is None and advisory.updates.exists()
    assert advisory.service.status == Service.Status.DEGRADED
    assert set(
        Service.objects.exclude(pk=advisory.service.pk).values_list("status", flat=True)
    ) == {Service.Status.OPERATIONAL}
    assert Announcement.objects.count() == 2
    assert len(set(Announcement.objects.values_list("category", flat=True))) == 2


def test_a_second_run_adds_nothing(seed):
    seed()
    before = counts()

    seed()

    assert counts() == before


def test_what_operators_wrote_is_kept_and_not_added_to(seed):
    service = Service.objects.create(name="Portal", position=1)
    Incident.objects.create(service=service, title="Slow pages", status=Incident.Status.RESOLVED)
    Announcement.objects.create(category="inform", title="Welcome", body="Hello.")

    seed()

    assert list(Service.objects.values_list("name", flat=True)) == ["Portal"]
    assert list(Incident.objects.values_list("title", flat=True)) == ["Slow pages"]
    assert list(Announcement.objects.values_list("title", flat=True)) == ["Welcome"]
