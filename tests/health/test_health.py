"""Service health and the message center: read by every admin; read state per admin."""

import pytest
from django.core import mail

from accounts.roles import BILLING_ADMIN, GLOBAL_ADMIN, HELPDESK_ADMIN
from health.models import Announcement, AnnouncementRead, Incident, IncidentUpdate, Service
from tests.accounts.test_admin import verified_operator_client
from tests.factories import make_tenant, make_user
from tests.helpers import assert_forbidden, assert_not_found, sidebar, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident():
    mail_service = Service.objects.create(name="Mail", status="degraded")
    Service.objects.create(name="Files")
    incident = Incident.objects.create(service=mail_service, title="Delayed mail")
    IncidentUpdate.objects.create(incident=incident, body="We are rerouting traffic.")
    return incident


@pytest.mark.parametrize("role", [GLOBAL_ADMIN, HELPDESK_ADMIN, BILLING_ADMIN])
def test_every_admin_sees_service_health(client, tenant, incident, role):
    sign_in(client, make_user(tenant, roles=[role]))
    page = client.get("/health/").content.decode()
    assert "Delayed mail" in page and "Degraded" in page and "rerouting" in page
    detail = client.get(f"/health/incidents/{incident.pk}/").content.decode()
    assert "We are rerouting traffic." in detail
    assert "/health/messages/" in sidebar(client.get("/"))


def test_users_without_a_role_get_403(client, tenant, incident):
    sign_in(client, make_user(tenant))
    assert_forbidden(client.get("/health/"))
    assert_forbidden(client.get("/health/messages/"))


def test_missing_incident_or_message_is_404(client, tenant):
    sign_in(client, make_user(tenant, roles=[GLOBAL_ADMIN]))
    assert_not_found(client.get("/health/incidents/999/"))
    assert_not_found(client.get("/health/messages/999/"))


def test_read_state_is_per_admin(client, tenant):
    first = Announcement.objects.create(category="plan", title="New sign-in page", body="Soon.")
    Announcement.objects.create(category="inform", title="Price change", body="Later.")
    anna, bert = make_user(tenant, roles=[GLOBAL_ADMIN]), make_user(tenant, roles=[GLOBAL_ADMIN])
    sign_in(client, anna)
    assert "2 unread" in client.get("/health/messages/").content.decode()
    assert "Soon." in client.get(f"/health/messages/{first.pk}/").content.decode()
    assert "1 unread" in client.get("/health/messages/").content.decode()
    assert AnnouncementRead.objects.filter(user=bert).count() == 0
    client.post("/health/messages/read/")
    assert "0 unread" in client.get("/health/messages/").content.decode()
    assert AnnouncementRead.objects.filter(user=anna).count() == 2
    filtered = client.get("/health/messages/", {"category": "inform"}).content.decode()
    assert "Price change" in filtered and "New sign-in page" not in filtered


def test_operators_write_incidents_and_technical_contacts_are_told(
    client, django_capture_on_commit_callbacks
):
    make_tenant(technical_contact_email="it@contoso.example")
    make_tenant(technical_contact_email="")
    service = Service.objects.create(name="Mail")
    verified_operator_client(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/operators/health/incident/add/",
            {
                "service": service.pk,
                "title": "Mail is slow",
                "status": "open",
                "started_at_0": "2026-11-22",
                "started_at_1": "08:00:00",
                "updates-TOTAL_FORMS": "1",
                "updates-INITIAL_FORMS": "0",
                "updates-0-body": "Investigating.",
                "updates-0-posted_at_0": "2026-11-22",
                "updates-0-posted_at_1": "08:05:00",
            },
        )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Incident.objects.get().updates.count() == 1
    assert (
        mail.outbox[-1].bcc == ["it@contoso.example"] and "Mail is slow" in mail.outbox[-1].subject
    )


def test_mark_all_read_has_its_own_url_and_answers_only_post(client, tenant):
    Announcement.objects.create(category="inform", title="New", body="News")
    admin = make_user(tenant, roles=[GLOBAL_ADMIN])
    sign_in(client, admin)
    page = client.get("/health/messages/").content.decode()
    assert 'action="/health/messages/read/"' in page
    assert client.get("/health/messages/read/").status_code == 405
    assert client.post("/health/messages/").status_code == 405
    assert not AnnouncementRead.objects.exists()
    response = client.post("/health/messages/read/")
    assert response.url == "/health/messages/"
    assert AnnouncementRead.objects.filter(user=admin).count() == 1


def test_users_without_a_role_cannot_mark_messages_read(client, tenant):
    Announcement.objects.create(category="inform", title="New", body="News")
    sign_in(client, make_user(tenant))
    assert_forbidden(client.post("/health/messages/read/"))
    assert not AnnouncementRead.objects.exists()
