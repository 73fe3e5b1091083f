"""A URL and a view per change on a service request: reply and close."""

import pytest
from django.core.exceptions import ValidationError

from accounts.roles import BILLING_ADMIN, GLOBAL_READER
from core.exceptions import Forbidden
from support import services
from support.models import RequestMessage, ServiceRequest
from tests.factories import make_tenant, make_user
from tests.helpers import assert_forbidden, assert_not_found, sign_in

pytestmark = pytest.mark.django_db


def make_request(tenant, title="Mail is slow"):
    return ServiceRequest.objects.create(
        tenant=tenant, title=title, description="x", severity="low", contact_email="a@b.example"
    )


@pytest.fixture
def service_request(tenant):
    return make_request(tenant)


def test_the_page_posts_reply_and_close_to_their_own_urls(client, admin, service_request):
    sign_in(client, admin)
    page = client.get(f"/support/{service_request.pk}/").content.decode()
    assert f'action="/support/{service_request.pk}/reply/"' in page
    assert f'formaction="/support/{service_request.pk}/close/"' in page
    assert 'name="action"' not in page


def test_reply_adds_a_message(client, admin, service_request):
    sign_in(client, admin)
    response = client.post(f"/support/{service_request.pk}/reply/", {"body": "Still slow."})
    assert response.url == f"/support/{service_request.pk}/"
    assert RequestMessage.objects.get(request=service_request).body == "Still slow."
    assert "Your message was sent to support." in client.get(response.url).content.decode()


def test_an_empty_reply_shows_the_error_on_the_page(client, admin, service_request):
    sign_in(client, admin)
    response = client.post(f"/support/{service_request.pk}/reply/", {"body": ""})
    assert response.status_code == 200
    page = response.content.decode()
    assert "This field is required." in page and "Mail is slow" in page
    assert not RequestMessage.objects.exists()


def test_close_closes_and_a_reply_is_then_refused(client, admin, service_request):
    sign_in(client, admin)
    response = client.post(f"/support/{service_request.pk}/close/")
    assert response.url == f"/support/{service_request.pk}/"
    service_request.refresh_from_db()
    assert service_request.status == "closed"
    response = client.post(f"/support/{service_request.pk}/reply/", {"body": "Hello?"})
    assert "This request is closed." in client.get(response.url).content.decode()
    assert not RequestMessage.objects.exists()


@pytest.mark.parametrize("action", ["reply", "close"])
def test_actions_answer_only_post(client, admin, service_request, action):
    sign_in(client, admin)
    assert client.get(f"/support/{service_request.pk}/{action}/").status_code == 405


@pytest.mark.parametrize("role", [GLOBAL_READER, BILLING_ADMIN])
@pytest.mark.parametrize("action", ["reply", "close"])
def test_other_roles_get_403_and_nothing_changes(client, tenant, service_request, role, action):
    sign_in(client, make_user(tenant, roles=[role]))
    assert_forbidden(client.post(f"/support/{service_request.pk}/{action}/", {"body": "Hi"}))
    service_request.refresh_from_db()
    assert service_request.status == "open" and not RequestMessage.objects.exists()


@pytest.mark.parametrize("action", ["reply", "close"])
def test_another_organizations_request_is_404_and_unchanged(client, admin, action):
    foreign = make_request(make_tenant(), "Secret")
    sign_in(client, admin)
    assert_not_found(client.post(f"/support/{foreign.pk}/{action}/", {"body": "Hi"}))
    assert_not_found(client.post(f"/support/{foreign.pk + 1000}/{action}/", {"body": "Hi"}))
    foreign.refresh_from_db()
    assert foreign.status == "open" and not RequestMessage.objects.exists()


def test_a_services_role_refusal_of_closing_is_403(client, admin, service_request, monkeypatch):
    def refuse(**kwargs):
        raise Forbidden("Not for you.")

    monkeypatch.setattr(services, "request_close", refuse)
    sign_in(client, admin)
    assert_forbidden(client.post(f"/support/{service_request.pk}/close/"))
    assert ServiceRequest.objects.get().status != "closed"


def test_a_rule_refusing_to_close_goes_back_with_its_reason(
    client, admin, service_request, monkeypatch
):
    def refuse(**kwargs):
        raise ValidationError("Support is still on it.")

    monkeypatch.setattr(services, "request_close", refuse)
    sign_in(client, admin)
    response = client.post(f"/support/{service_request.pk}/close/")
    assert response.url == f"/support/{service_request.pk}/"
    assert "Support is still on it." in client.get(response.url).content.decode()
