"""Changes through the REST API: the pages' services and rules, audited as the client."""

import json

import pytest

from accounts.models import AuditEvent, RoleAssignment, User
from accounts.roles import (
    GLOBAL_ADMIN,
    GROUPS_ADMIN,
    HELPDESK_ADMIN,
    REPORTS_READER,
    USER_ADMIN,
)
from billing.models import License
from tests.api.helpers import api_secret, call, problem
from tests.billing.factories import make_subscription
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_a_user_is_added_with_a_password_shown_once_and_audited_as_the_client(
    client, tenant, domain
):
    secret = api_secret(tenant, name="HR sync")
    subscription = make_subscription(tenant, quantity=2)
    response = call(
        client,
        "post",
        "/api/v1/users",
        secret,
        {
            "username": f"megan@{domain}",
            "display_name": "Megan Bowen",
            "job_title": "Marketing",
            "licenses": [subscription.pk],
        },
    )
    assert response.status_code == 201, response.content
    body = json.loads(response.content)
    assert body["user"]["username"] == f"megan@{domain}"
    assert body["user"]["job_title"] == "Marketing"
    assert len(body["temporary_password"]) >= 12
    megan = User.objects.get(username=f"megan@{domain}")
    assert megan.check_password(body["temporary_password"])
    assert License.objects.filter(user=megan, subscription=subscription).exists()
    event = AuditEvent.objects.get(action="user.create", target_id=str(megan.pk))
    assert event.actor_id is None and event.actor_label == "api:HR sync"


def test_adding_a_taken_name_is_a_conflict_and_bad_input_is_422(client, tenant, domain):
    secret = api_secret(tenant)
    make_user(tenant, "taken")
    body = {"username": f"taken@{domain}", "display_name": "Taken"}
    problem(call(client, "post", "/api/v1/users", secret, body), 409)
    errors = problem(
        call(client, "post", "/api/v1/users", secret, {"username": "x@elsewhere.example"}),
        422,
    )["errors"]
    assert any("display_name" in item["field"] for item in errors)
    outside = {"username": "x@elsewhere.example", "display_name": "X"}
    problem(call(client, "post", "/api/v1/users", secret, outside), 422)
    assert not User.objects.filter(username="x@elsewhere.example").exists()


def test_a_change_with_a_stale_etag_is_refused_and_a_fresh_one_applies(client, tenant):
    person = make_user(tenant, "person", display_name="Person")
    secret = api_secret(tenant)
    read = call(client, "get", f"/api/v1/users/{person.pk}", secret)
    etag = read["ETag"]
    assert etag.startswith('"')
    changed = call(
        client,
        "patch",
        f"/api/v1/users/{person.pk}",
        secret,
        {"job_title": "Engineer"},
        **{"If-Match": etag},
    )
    assert changed.status_code == 200, changed.content
    assert json.loads(changed.content)["job_title"] == "Engineer"
    assert changed["ETag"] != etag
    stale = call(
        client,
        "patch",
        f"/api/v1/users/{person.pk}",
        secret,
        {"job_title": "Lost update"},
        **{"If-Match": etag},
    )
    problem(stale, 412)
    person.refresh_from_db()
    assert person.job_title == "Engineer"


def test_block_allow_delete_and_restore(client, tenant, domain):
    person = make_user(tenant, "person")
    secret = api_secret(tenant)
    blocked = call(client, "post", f"/api/v1/users/{person.pk}/block", secret)
    assert json.loads(blocked.content)["sign_in_blocked"] is True
    allowed = call(client, "post", f"/api/v1/users/{person.pk}/allow", secret)
    assert json.loads(allowed.content)["sign_in_blocked"] is False
    assert call(client, "delete", f"/api/v1/users/{person.pk}", secret).status_code == 204
    problem(call(client, "get", f"/api/v1/users/{person.pk}", secret), 404)
    restored = call(
        client,
        "post",
        f"/api/v1/deleted-users/{person.pk}/restore",
        secret,
        {"username": f"person@{domain}"},
    )
    assert restored.status_code == 200, restored.content
    assert json.loads(restored.content)["temporary_password"]
    assert call(client, "get", f"/api/v1/users/{person.pk}", secret).status_code == 200


def test_password_resets_follow_the_same_table_as_the_pages(client, tenant):
    plain = make_user(tenant, "plain")
    user_admin = make_user(tenant, "useradmin", roles=[USER_ADMIN])
    helpdesk = api_secret(tenant, HELPDESK_ADMIN)
    reset = call(client, "post", f"/api/v1/users/{plain.pk}/reset-password", helpdesk)
    assert reset.status_code == 200
    plain.refresh_from_db()
    assert plain.check_password(json.loads(reset.content)["temporary_password"])
    # A Helpdesk admin does not reset a User admin's password, here as on the pages.
    problem(call(client, "post", f"/api/v1/users/{user_admin.pk}/reset-password", helpdesk), 403)
    assert AuditEvent.objects.filter(action="password.reset_denied").exists()


def test_roles_within_the_clients_rights_and_the_last_global_admin_kept(client, tenant):
    person = make_user(tenant, "person")
    users = api_secret(tenant)
    answer = call(
        client, "put", f"/api/v1/users/{person.pk}/roles", users, {"roles": [GROUPS_ADMIN]}
    )
    assert json.loads(answer.content)["roles"] == [GROUPS_ADMIN]
    # A User admin gives no privileged role.
    problem(
        call(client, "put", f"/api/v1/users/{person.pk}/roles", users, {"roles": [GLOBAL_ADMIN]}),
        403,
    )
    only = make_user(tenant, "only", roles=[GLOBAL_ADMIN])
    RoleAssignment.objects.exclude(user=only).filter(role=GLOBAL_ADMIN).delete()
    admin = api_secret(tenant, GLOBAL_ADMIN, name="Admin")
    problem(call(client, "put", f"/api/v1/users/{only.pk}/roles", admin, {"roles": []}), 409)


def test_licenses_are_counted_and_another_organizations_ids_are_404(client, tenant, other_tenant):
    person, second = make_user(tenant, "person"), make_user(tenant, "second")
    subscription = make_subscription(tenant, quantity=1)
    secret = api_secret(tenant)
    path = f"/api/v1/users/{person.pk}/licenses/{subscription.pk}"
    assert call(client, "put", path, secret).status_code == 204
    problem(
        call(client, "put", f"/api/v1/users/{second.pk}/licenses/{subscription.pk}", secret), 409
    )
    assert call(client, "delete", path, secret).status_code == 204
    theirs = make_subscription(other_tenant)
    stranger = make_user(other_tenant, "stranger")
    problem(call(client, "put", f"/api/v1/users/{person.pk}/licenses/{theirs.pk}", secret), 404)
    problem(call(client, "post", f"/api/v1/users/{stranger.pk}/block", secret), 404)
    problem(call(client, "delete", f"/api/v1/users/{stranger.pk}", secret), 404)
    stranger.refresh_from_db()
    assert stranger.deleted_at is None and not stranger.is_sign_in_blocked


def test_a_client_without_the_rights_changes_nothing(client, tenant, domain):
    person = make_user(tenant, "person")
    reports = api_secret(tenant, REPORTS_READER)
    problem(call(client, "post", f"/api/v1/users/{person.pk}/block", reports), 403)
    body = {"username": f"new@{domain}", "display_name": "New"}
    problem(call(client, "post", "/api/v1/users", reports, body), 403)
    assert not User.objects.filter(username=f"new@{domain}").exists()


def test_another_organizations_subscription_in_a_new_users_body_is_404(
    client, tenant, other_tenant, domain
):
    theirs = make_subscription(other_tenant)
    body = {"username": f"new@{domain}", "display_name": "New", "licenses": [theirs.pk]}
    problem(call(client, "post", "/api/v1/users", api_secret(tenant), body), 404)
    assert not User.objects.filter(username=f"new@{domain}").exists()
