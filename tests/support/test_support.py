"""Support: open a request (contact from security info), the thread, answers by email."""

import re

import pytest
from django.core import mail
from django.test import Client

from accounts.models import AuditEvent
from accounts.roles import (
    BILLING_ADMIN,
    GLOBAL_ADMIN,
    GLOBAL_READER,
    HELPDESK_ADMIN,
    SERVICE_SUPPORT_ADMIN,
)
from support.models import RequestMessage, ServiceRequest
from support.services import support_answered
from tests.accounts.test_admin import verified_operator_client
from tests.factories import make_tenant, make_user
from tests.helpers import (
    assert_forbidden,
    assert_not_found,
    make_alt_email,
    make_phone,
    sidebar,
    sign_in,
)

pytestmark = pytest.mark.django_db


def open_request(client, **changes):
    data = {
        "title": "Mail is slow",
        "description": "Since 9:00 mail takes minutes.",
        "severity": "high",
        "contact_phone": "+31612345678",
        "contact_email": "it@example.org",
    } | changes
    return client.post("/support/new/", data)


@pytest.mark.parametrize("role", [GLOBAL_ADMIN, SERVICE_SUPPORT_ADMIN, HELPDESK_ADMIN])
def test_support_roles_open_a_request_with_contact_prefilled(client, tenant, role):
    user = make_user(tenant, roles=[role])
    make_phone(user, "+31612345678")
    make_alt_email(user, "me@example.org")
    sign_in(client, user)
    form = client.get("/support/new/").content.decode()
    assert 'value="+31612345678"' in form and 'value="me@example.org"' in form
    response = open_request(client)
    service_request = ServiceRequest.objects.get()
    assert response.url == f"/support/{service_request.pk}/"
    assert service_request.created_by == user and service_request.status == "open"
    assert AuditEvent.objects.filter(action="support.request.open").exists()


def test_bad_input_is_reported(client, tenant):
    sign_in(client, make_user(tenant, roles=[GLOBAL_ADMIN]))
    page = open_request(
        client, title="", severity="apocalyptic", contact_email="nope"
    ).content.decode()
    assert "This field is required." in page and "Select a valid choice." in page
    assert "Enter a valid email address." in page
    assert not ServiceRequest.objects.exists()


def test_the_severity_offers_the_four_levels_only_and_must_be_chosen(client, tenant):
    sign_in(client, make_user(tenant, roles=[GLOBAL_ADMIN]))
    page = client.get("/support/new/").content.decode()
    radios = re.findall(r'<input type="radio" name="severity" value="([^"]*)"', page)
    assert radios == ["low", "normal", "high", "critical"]
    assert "---------" not in page

    missing = open_request(client, severity="")

    assert missing.status_code == 200
    assert "Choose how severe the problem is." in missing.content.decode()
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize("role", [BILLING_ADMIN, GLOBAL_READER, None])
def test_other_roles_get_403(client, tenant, role):
    sign_in(client, make_user(tenant, roles=[role] if role else []))
    assert_forbidden(client.get("/support/new/"))
    assert_forbidden(open_request(client))


def test_operator_answers_and_the_requester_is_told_then_replies_and_closes(
    client, tenant, django_capture_on_commit_callbacks
):
    admin = make_user(tenant, roles=[GLOBAL_ADMIN])
    sign_in(client, admin)
    open_request(client, contact_email="it@example.org")
    service_request = ServiceRequest.objects.get()

    operator = verified_operator_client(Client())
    with django_capture_on_commit_callbacks(execute=True):
        response = operator.post(
            f"/operators/support/servicerequest/{service_request.pk}/change/",
            {
                "status": "open",
                "messages-TOTAL_FORMS": "1",
                "messages-INITIAL_FORMS": "0",
                "messages-0-from_support": "on",
                "messages-0-body": "We found the cause; please try again.",
            },
        )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert ServiceRequest.objects.get().status == "answered"
    assert mail.outbox[-1].to == ["it@example.org"] and "try again" in mail.outbox[-1].body

    page = client.get(f"/support/{service_request.pk}/").content.decode()
    assert "We found the cause" in page
    client.post(f"/support/{service_request.pk}/reply/", {"body": "Works now, thanks."})
    assert RequestMessage.objects.filter(from_support=False).count() == 1
    assert ServiceRequest.objects.get().status == "open"
    client.post(f"/support/{service_request.pk}/close/")
    assert ServiceRequest.objects.get().status == "closed"
    response = client.post(f"/support/{service_request.pk}/reply/", {"body": "One more thing"})
    assert "This request is closed." in client.get(response.url).content.decode()


def test_the_global_reader_follows_requests_and_writes_nothing(client, tenant):
    service_request = ServiceRequest.objects.create(
        tenant=tenant,
        title="Mail is slow",
        description="x",
        severity="low",
        contact_email="a@b.example",
    )
    RequestMessage.objects.create(request=service_request, from_support=True, body="Fixed now.")
    sign_in(client, make_user(tenant, roles=[GLOBAL_READER]))
    assert "/support/" in sidebar(client.get("/"))
    listing = client.get("/support/")
    assert listing.status_code == 200
    assert "Mail is slow" in listing.content.decode()
    assert "/support/new/" not in listing.content.decode()
    detail = client.get(f"/support/{service_request.pk}/")
    assert detail.status_code == 200
    assert "Fixed now." in detail.content.decode()
    assert 'data-testid="reply-form"' not in detail.content.decode()
    assert_forbidden(client.post(f"/support/{service_request.pk}/reply/", {"body": "Thanks"}))
    assert_forbidden(client.post(f"/support/{service_request.pk}/close/"))
    service_request.refresh_from_db()
    assert service_request.status == "open"
    assert RequestMessage.objects.count() == 1


def test_the_global_reader_gets_404_for_another_tenants_request(client, tenant):
    foreign = ServiceRequest.objects.create(
        tenant=make_tenant(),
        title="Secret",
        description="x",
        severity="low",
        contact_email="a@b.example",
    )
    sign_in(client, make_user(tenant, roles=[GLOBAL_READER]))
    assert_not_found(client.get(f"/support/{foreign.pk}/"))
    assert "Secret" not in client.get("/support/").content.decode()


def test_the_answer_email_links_to_the_request_at_the_portals_address(
    client, tenant, settings, django_capture_on_commit_callbacks
):
    settings.PORTAL_BASE_URL = "https://portal.example"
    sign_in(client, make_user(tenant, roles=[GLOBAL_ADMIN]))
    open_request(client, contact_email="it@example.org")
    service_request = ServiceRequest.objects.get()
    answer = RequestMessage.objects.create(
        request=service_request, from_support=True, body="We found the cause."
    )

    with django_capture_on_commit_callbacks(execute=True):
        support_answered(answer)

    [message] = mail.outbox
    link = f"https://portal.example/support/{service_request.pk}/"
    assert message.body.splitlines()[-1] == f"Reply or close the request here: {link}"
    assert client.get(link.removeprefix("https://portal.example")).status_code == 200


def test_another_tenants_request_is_404(client, tenant):
    other = make_tenant()
    foreign = ServiceRequest.objects.create(
        tenant=other, title="Secret", description="x", severity="low", contact_email="a@b.example"
    )
    sign_in(client, make_user(tenant, roles=[GLOBAL_ADMIN]))
    assert_not_found(client.get(f"/support/{foreign.pk}/"))
    assert_not_found(client.post(f"/support/{foreign.pk}/reply/", {"body": "hi"}))
    assert "Secret" not in client.get("/support/").content.decode()
