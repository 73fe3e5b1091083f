"""The REST API at /api/v1/: a client's secret, its roles, and problem details."""

import json

import pytest
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Domain, User
from accounts.roles import GLOBAL_READER, REPORTS_READER
from api.models import ApiClient
from api.rest import base as rest
from tests.api.helpers import PROBLEM, api_secret, problem
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def get(client, path, secret=None, **params):
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    return client.get(path, params, headers=headers)


@pytest.fixture
def people(tenant):
    return [make_user(tenant, f"person{n:02}") for n in range(7)]


def test_users_come_a_page_at_a_time_each_exactly_once(client, tenant, other_tenant, people):
    make_user(other_tenant, "stranger")
    secret = api_secret(tenant)
    seen, cursor = [], ""
    while True:
        response = get(client, "/api/v1/users", secret, limit=3, cursor=cursor)
        assert response.status_code == 200
        body = json.loads(response.content)
        assert len(body["items"]) <= 3
        seen += [item["username"] for item in body["items"]]
        if body["next_cursor"] is None:
            break
        cursor = body["next_cursor"]
    expected = User.objects.for_tenant(tenant).active().order_by("pk")
    assert seen == [user.username for user in expected]
    assert not any(name.startswith("stranger") for name in seen)


def test_users_are_searched_and_filtered_as_on_the_page(client, tenant, people):
    User.objects.filter(pk=people[1].pk).update(is_sign_in_blocked=True)
    secret = api_secret(tenant)
    found = json.loads(get(client, "/api/v1/users", secret, q="person03").content)["items"]
    assert [item["id"] for item in found] == [people[3].pk]
    blocked = json.loads(get(client, "/api/v1/users", secret, status="blocked").content)["items"]
    assert [item["id"] for item in blocked] == [people[1].pk]
    assert blocked[0]["sign_in_blocked"] is True


@pytest.mark.parametrize(
    "params",
    [{"status": "bogus"}, {"role": "emperor"}, {"limit": "0"}, {"limit": "201"}, {"cursor": "%%"}],
)
def test_bad_input_is_a_problem_with_the_field_named(client, tenant, params):
    body = problem(get(client, "/api/v1/users", api_secret(tenant), **params), 422)
    assert body.get("errors") or body["title"]


def test_a_user_by_id_and_another_organizations_id_is_404(client, tenant, other_tenant, people):
    secret = api_secret(tenant)
    response = get(client, f"/api/v1/users/{people[0].pk}", secret)
    assert response.status_code == 200
    assert json.loads(response.content)["username"] == people[0].username
    stranger = make_user(other_tenant, "stranger")
    for path in (f"/api/v1/users/{stranger.pk}", "/api/v1/users/987654321"):
        problem(get(client, path, secret), 404)


@pytest.mark.parametrize("header", [None, "Bearer nope", "Bearer portal_x_y", "Basic abc"])
def test_without_a_usable_secret_the_answer_is_401(client, tenant, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/users", headers=headers)
    problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_or_expired_client_is_refused_on_its_next_request(client, tenant):
    secret = api_secret(tenant)
    assert get(client, "/api/v1/users", secret).status_code == 200
    ApiClient.objects.update(revoked_at=timezone.now())
    problem(get(client, "/api/v1/users", secret), 401)
    other = api_secret(tenant, name="Other")
    ApiClient.objects.filter(revoked_at=None).update(expires_at=timezone.now())
    problem(get(client, "/api/v1/users", other), 401)


def test_the_clients_roles_decide(client, tenant):
    reports = api_secret(tenant, REPORTS_READER)
    problem(get(client, "/api/v1/users", reports), 403)
    problem(get(client, "/api/v1/domains", api_secret(tenant, name="Users")), 403)
    reader = api_secret(tenant, GLOBAL_READER, name="Reader")
    domains = json.loads(get(client, "/api/v1/domains", reader).content)
    assert [d["name"] for d in domains] == [Domain.objects.for_tenant(tenant).get().name]


def test_a_page_of_users_takes_the_same_queries_whatever_its_size(
    client, tenant, django_assert_num_queries
):
    secret = api_secret(tenant)
    for size in (3, 40):
        for n in range(size):
            make_user(tenant, f"bulk{size}-{n}")
        # The client (and its last use, written at most once a minute), then the page.
        get(client, "/api/v1/users", secret)
        with django_assert_num_queries(2):
            assert get(client, "/api/v1/users", secret, limit=200).status_code == 200


def test_the_whole_list_is_kept_until_the_organization_changes(
    client, tenant, people, django_assert_num_queries
):
    secret = api_secret(tenant)
    first = get(client, "/api/v1/users", secret, limit=3)
    with django_assert_num_queries(1):  # the client only: the page is kept
        assert get(client, "/api/v1/users", secret, limit=3).content == first.content
    person = User.objects.get(pk=json.loads(first.content)["items"][0]["id"])
    person.display_name = "Renamed"
    person.save(update_fields=["display_name"])
    renamed = json.loads(get(client, "/api/v1/users", secret, limit=3).content)
    assert renamed["items"][0]["display_name"] == "Renamed"
    person.last_login = timezone.now()
    person.save(update_fields=["last_login"])
    audit_record(action="signin.success", tenant=tenant, actor=person)  # as a sign-in does
    signed_in = json.loads(get(client, "/api/v1/users", secret, limit=3).content)
    assert signed_in["items"][0]["last_sign_in"] is not None


def test_the_openapi_schema_describes_every_answer(client):
    schema = json.loads(client.get("/api/v1/openapi.json").content)
    assert schema["openapi"].startswith("3.")
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert {"/api/v1/users", "/api/v1/users/{user_id}", "/api/v1/domains"} <= set(schema["paths"])
    for operation in operations:
        answers = operation["responses"]
        assert {"401", "403", "422"} <= set(answers)
        assert any(code.startswith("2") for code in answers)
        for code, answer in answers.items():
            if code >= "400":
                assert list(answer["content"]) == [PROBLEM]
        assert operation["security"]


def test_the_docs_are_served_from_our_own_static_files(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert '"url": "/api/v1/openapi.json"' in page
    assert "cdn." not in page and "unpkg" not in page
    # No inline script: the settings are JSON data, so the CSP stays strict.
    assert page.count("<script") == page.count("<script src=") + page.count(
        '<script type="application/json"'
    )


def test_over_the_rate_limit_the_answer_is_429_with_retry_after(
    client, tenant, settings, monkeypatch
):
    settings.PORTAL_API_RATE_LIMIT = 3
    monkeypatch.setattr(rest.time, "time", lambda: 60 * 1_000_000 + 40.0)  # 20 s to go
    secret, other = api_secret(tenant), api_secret(tenant, name="Other")
    assert [get(client, "/api/v1/users", secret).status_code for _ in range(3)] == [200] * 3
    limited = get(client, "/api/v1/users", secret)
    problem(limited, 429)
    assert limited["Retry-After"] == "20"
    # Each client has its own count, and the next minute starts a new one.
    assert get(client, "/api/v1/users", other).status_code == 200
    monkeypatch.setattr(rest.time, "time", lambda: 60 * 1_000_001 + 1.0)
    assert get(client, "/api/v1/users", secret).status_code == 200
