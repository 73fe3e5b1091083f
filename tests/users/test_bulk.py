"""Bulk actions on selected users, and the CSV exports of the users list."""

import csv
import io

import pytest
from django.contrib.auth import authenticate
from django.test import Client

from accounts.models import AuditEvent, User
from accounts.roles import BILLING_ADMIN, GLOBAL_ADMIN, GLOBAL_READER, HELPDESK_ADMIN, USER_ADMIN
from tests.factories import PASSWORD, make_tenant, make_user
from tests.helpers import assert_forbidden, assert_not_found, sign_in

pytestmark = pytest.mark.django_db

# One URL per action.
URLS = {
    "block": "/users/bulk/block/",
    "unblock": "/users/bulk/unblock/",
    "reset": "/users/bulk/reset-password/",
    "delete": "/users/bulk/delete/",
    "assign_license": "/users/bulk/assign-license/",
    "unassign_license": "/users/bulk/unassign-license/",
    "export": "/users/bulk/export/",
}


def bulk(client, action, users, **extra):
    return client.post(URLS[action], {"ids": [u.pk for u in users], **extra})


def csv_rows(response):
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_block_and_unblock_selected_users(client, tenant, admin):
    pat, sam = make_user(tenant, "pat"), make_user(tenant, "sam")
    pat_browser = sign_in(Client(), pat)
    sign_in(client, admin)
    response = bulk(client, "block", [pat, sam], query="q=pa&sort=-name")
    assert response.url == "/users/?q=pa&sort=-name"
    assert set(User.objects.filter(is_sign_in_blocked=True).values_list("pk", flat=True)) == {
        pat.pk,
        sam.pk,
    }
    assert pat_browser.get("/account/").status_code == 302  # the session is over
    assert AuditEvent.objects.filter(action="user.block").count() == 2
    assert "Sign-in blocked for 2 users." in client.get("/users/").content.decode()

    bulk(client, "unblock", [pat])
    pat.refresh_from_db()
    assert not pat.is_sign_in_blocked
    assert AuditEvent.objects.filter(action="user.unblock").count() == 1


def test_blocking_an_already_blocked_user_records_nothing(client, tenant, admin):
    pat = make_user(tenant, "pat", is_sign_in_blocked=True)
    sign_in(client, admin)
    bulk(client, "block", [pat])
    assert not AuditEvent.objects.filter(action="user.block").exists()


def test_user_admin_cannot_block_a_global_admin_and_nobody_changes(client, tenant, admin):
    pat = make_user(tenant, "pat")
    sign_in(client, make_user(tenant, roles=[USER_ADMIN]))
    assert_forbidden(bulk(client, "block", [pat, admin]))
    assert not User.objects.filter(is_sign_in_blocked=True).exists()


def test_nobody_blocks_themselves(client, tenant, admin):
    sign_in(client, admin)
    assert_forbidden(bulk(client, "block", [admin]))


@pytest.mark.parametrize("role", [HELPDESK_ADMIN, GLOBAL_READER])
def test_roles_without_change_users_cannot_block(client, tenant, role):
    pat = make_user(tenant, "pat")
    sign_in(client, make_user(tenant, roles=[role]))
    assert_forbidden(bulk(client, "block", [pat]))
    pat.refresh_from_db()
    assert not pat.is_sign_in_blocked


def test_another_tenants_user_in_the_selection_is_404_and_changes_nothing(client, tenant, admin):
    pat = make_user(tenant, "pat")
    stranger = make_user(make_tenant(), "stranger")
    sign_in(client, admin)
    assert_not_found(bulk(client, "block", [pat, stranger]))
    assert not User.objects.filter(is_sign_in_blocked=True).exists()


def test_empty_selection_and_bad_ids_are_answered(client, tenant, admin):
    sign_in(client, admin)
    response = client.post(URLS["block"], {"query": "q=pa"})
    assert response.url == "/users/?q=pa"
    assert "Select at least one user first." in client.get("/users/").content.decode()
    assert_not_found(client.post(URLS["block"], {"ids": ["x"]}))


@pytest.mark.parametrize("action", sorted(URLS))
def test_get_is_not_allowed(client, tenant, admin, action):
    sign_in(client, admin)
    assert client.get(URLS[action]).status_code == 405


def test_the_old_single_bulk_url_is_gone(client, tenant, admin):
    sign_in(client, admin)
    pat = make_user(tenant, "pat")
    assert_not_found(client.post("/users/bulk/", {"action": "block", "ids": [pat.pk]}))


def test_bulk_reset_confirms_then_shows_passwords_once(client, tenant):
    desk = make_user(tenant, "desk", roles=[HELPDESK_ADMIN])
    pat, sam = make_user(tenant, "pat", display_name="Pat"), make_user(tenant, "sam")
    boss = make_user(tenant, "boss", roles=[GLOBAL_ADMIN], display_name="The Boss")
    pat_browser = sign_in(Client(), pat)
    sign_in(client, desk)

    confirm = bulk(client, "reset", [pat, sam, boss], query="q=a")
    page = confirm.content.decode()
    assert confirm.status_code == 200
    assert 'data-testid="bulk-reset-refused"' in page and "The Boss" in page
    assert f'name="ids" value="{boss.pk}"' not in page
    assert not AuditEvent.objects.filter(action="password.reset_by_admin").exists()

    done = bulk(client, "reset", [pat, sam], confirm="yes", require_change="on")
    assert done.status_code == 200
    assert "no-store" in done["Cache-Control"] or "no-cache" in done["Cache-Control"]
    import re

    passwords = re.findall(
        r'<code class="secret" id="password-\d+">([^<]+)</code>', done.content.decode()
    )
    assert len(passwords) == 2
    for user in (pat, sam):
        user.refresh_from_db()
        assert user.must_change_password
        assert authenticate(None, username=user.username, password=PASSWORD) is None
    assert {authenticate(None, username=pat.username, password=p) for p in passwords} - {None}
    assert pat_browser.get("/account/").status_code == 302
    assert AuditEvent.objects.filter(action="password.reset_by_admin").count() == 2


def test_crafted_bulk_reset_of_a_protected_user_is_403_audited_and_changes_nobody(client, tenant):
    desk = make_user(tenant, "desk", roles=[HELPDESK_ADMIN])
    pat = make_user(tenant, "pat")
    boss = make_user(tenant, "boss", roles=[GLOBAL_ADMIN])
    sign_in(client, desk)
    assert_forbidden(bulk(client, "reset", [pat, boss], confirm="yes"))
    denied = AuditEvent.objects.filter(action="password.reset_denied")
    assert [event.target_id for event in denied] == [str(boss.pk)]
    assert not AuditEvent.objects.filter(action="password.reset_by_admin").exists()
    assert authenticate(None, username=pat.username, password=PASSWORD)


def test_reader_cannot_reset_and_the_attempt_is_audited(client, tenant):
    pat = make_user(tenant, "pat")
    sign_in(client, make_user(tenant, roles=[GLOBAL_READER]))
    assert_forbidden(bulk(client, "reset", [pat], confirm="yes"))
    assert AuditEvent.objects.filter(action="password.reset_denied").count() == 1


def test_too_many_selected_is_refused(client, tenant, admin, monkeypatch):
    from users import services

    monkeypatch.setattr(services, "BULK_MAX", 2)
    users = [make_user(tenant, f"u{n}") for n in range(3)]
    sign_in(client, admin)
    response = bulk(client, "block", users)
    assert "Select at most 2 users at a time." in client.get(response.url).content.decode()
    assert not User.objects.filter(is_sign_in_blocked=True).exists()


def test_export_selected_users(client, tenant, admin):
    pat = make_user(tenant, "pat", display_name="=HYPERLINK(evil)", roles=[HELPDESK_ADMIN])
    make_user(tenant, "sam")
    sign_in(client, admin)
    rows = csv_rows(bulk(client, "export", [pat]))
    assert rows[0][:2] == ["Display Name", "User Name"]
    assert len(rows) == 2
    assert rows[1][0] == "'=HYPERLINK(evil)"  # a formula is defused
    assert rows[1][6] == "Helpdesk admin"
    event = AuditEvent.objects.get(action="users.export")
    assert event.actor == admin
    assert event.new_values == {"users": 1, "query": {"ids": [str(pat.pk)]}}


def test_export_all_follows_search_and_filters(client, tenant, admin):
    for n in range(30):
        make_user(tenant, f"u{n}", display_name=f"User {n:02}", is_sign_in_blocked=n % 3 == 0)
    sign_in(client, admin)
    response = client.get("/users/export/", {"status": "blocked", "sort": "-name"})
    assert response["Content-Disposition"] == 'attachment; filename="users.csv"'
    rows = csv_rows(response)
    assert [row[0] for row in rows[1:]] == [f"User {n:02}" for n in range(27, -1, -3)]
    everyone = csv_rows(client.get("/users/export/"))
    assert len(everyone) == 1 + 31


def test_export_with_invalid_filters_is_refused(client, tenant, admin):
    sign_in(client, admin)
    assert client.get("/users/export/", {"status": "maybe"}).status_code == 400


def test_export_of_another_tenant_shows_nothing_of_it(client, tenant, admin):
    make_user(make_tenant(), "stranger", display_name="Other Org Person")
    sign_in(client, admin)
    body = b"".join(client.get("/users/export/").streaming_content).decode()
    assert "Other Org Person" not in body


# --- every action, the same checks: happy path, wrong role, ids out of reach, empty, too many ---

# action -> (what the form posts besides ids, a role that may not do it)
ACTIONS = {
    "block": ({}, HELPDESK_ADMIN),
    "unblock": ({}, HELPDESK_ADMIN),
    "reset": ({"confirm": "yes"}, GLOBAL_READER),
    "delete": ({"confirm": "yes"}, HELPDESK_ADMIN),
    "assign_license": ({"subscription": None}, HELPDESK_ADMIN),
    "unassign_license": ({"subscription": None}, HELPDESK_ADMIN),
    "export": ({}, BILLING_ADMIN),
}


@pytest.fixture
def subscription(tenant):
    from tests.billing.factories import make_subscription

    return make_subscription(tenant, quantity=5)


@pytest.fixture
def pat(tenant, subscription, admin):
    """A user every action would change: blocked for unblock, licensed for unassign."""
    from billing import services as billing_services

    pat = make_user(tenant, "pat", display_name="Pat Person")
    billing_services.license_assign(
        tenant=tenant, acting_user=admin, subscription=subscription, users=[pat]
    )
    return pat


def post_action(client, action, ids, subscription, **extra):
    data, _role = ACTIONS[action]
    data = {**data, **extra, "ids": ids}
    if "subscription" in data and data["subscription"] is None:
        data["subscription"] = subscription.pk
    return client.post(URLS[action], data)


def database_state():
    """Return what any bulk action could change: users, licenses, the audit trail."""
    from billing.models import License

    return (
        list(
            User.objects.order_by("pk").values_list(
                "pk", "username", "password", "is_sign_in_blocked", "deleted_at", "session_epoch"
            )
        ),
        sorted(License.objects.values_list("subscription_id", "user_id")),
        AuditEvent.objects.count(),
    )


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_each_action_does_its_work_for_a_global_admin(client, tenant, admin, pat, action):
    from billing.models import License

    sam = make_user(tenant, "sam", display_name="Sam", is_sign_in_blocked=True)
    sign_in(client, admin)
    subscription = License.objects.get(user=pat).subscription
    response = post_action(client, action, [pat.pk, sam.pk], subscription, query="q=a")
    pat.refresh_from_db()
    if action == "reset":
        assert response.status_code == 200
        assert 'data-testid="bulk-reset-result"' in response.content.decode()
        assert AuditEvent.objects.filter(action="password.reset_by_admin").count() == 2
        return
    if action == "export":
        assert [row[0] for row in csv_rows(response)[1:]] == ["Pat Person", "Sam"]
        return
    assert response.status_code == 302 and response.url == "/users/?q=a"
    if action == "block":
        assert pat.is_sign_in_blocked
    elif action == "unblock":
        assert not User.objects.get(pk=sam.pk).is_sign_in_blocked
    elif action == "delete":
        assert pat.deleted_at is not None
    elif action == "assign_license":
        assert License.objects.filter(user=sam).exists()
    else:
        assert not License.objects.filter(user=pat).exists()


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_each_action_refuses_a_role_without_the_right(client, tenant, pat, subscription, action):
    _data, role = ACTIONS[action]
    sign_in(client, make_user(tenant, roles=[role]))
    before = database_state()
    assert_forbidden(post_action(client, action, [pat.pk], subscription))
    users, licenses, audit = database_state()
    assert (users, licenses) == before[:2]
    if action == "reset":  # the refused attempt is recorded, nothing else
        assert AuditEvent.objects.filter(action="password.reset_denied").count() == 1
    else:
        assert audit == before[2]


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("who", ["other_organization", "deleted", "malformed", "huge"])
def test_each_action_answers_404_for_an_id_out_of_reach_and_changes_nothing(
    client, tenant, admin, pat, subscription, action, who
):
    if who == "other_organization":
        outsider = make_user(make_tenant(), "stranger").pk
    elif who == "deleted":
        outsider = make_user(tenant, "gone", deleted_at="2026-01-01T00:00Z").pk
    elif who == "malformed":
        outsider = "1 OR 1=1"
    else:
        outsider = "9" * 30
    sign_in(client, admin)
    before = database_state()
    assert_not_found(post_action(client, action, [pat.pk, outsider], subscription))
    assert database_state() == before


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_each_action_asks_for_a_selection_first(client, tenant, admin, subscription, action):
    sign_in(client, admin)
    before = database_state()
    response = post_action(client, action, [], subscription, query="status=blocked")
    assert response.url == "/users/?status=blocked"
    assert "Select at least one user first." in client.get(response.url).content.decode()
    assert database_state() == before


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_each_action_refuses_more_than_the_maximum(
    client, tenant, admin, subscription, action, monkeypatch, django_assert_max_num_queries
):
    from users import services

    monkeypatch.setattr(services, "BULK_MAX", 2)
    users = [make_user(tenant, f"u{n}") for n in range(3)]
    sign_in(client, admin)
    before = database_state()
    response = post_action(client, action, [u.pk for u in users], subscription)
    assert response.status_code == 302
    assert "Select at most 2 users at a time." in client.get(response.url).content.decode()
    assert database_state() == before


def test_return_to_detail_goes_back_to_that_users_page_only_for_one_user(
    client, tenant, admin, pat
):
    sam = make_user(tenant, "sam")
    sign_in(client, admin)
    response = bulk(client, "block", [pat], return_to="detail")
    assert response.url == f"/users/{pat.pk}/"
    response = bulk(client, "unblock", [pat, sam], return_to="detail", query="q=p")
    assert response.url == "/users/?q=p"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("//evil.example/", "/users/?%2F%2Fevil.example%2F="),
        ("q=a&next=https://evil.example", "/users/?q=a&next=https%3A%2F%2Fevil.example"),
        ("\r\nLocation: x", "/users/?Location%3A+x="),
    ],
)
def test_the_way_back_is_always_the_list(client, tenant, admin, pat, query, expected):
    sign_in(client, admin)
    assert bulk(client, "block", [pat], query=query).url == expected


def test_assign_license_needs_a_live_subscription_of_the_organization(client, tenant, admin, pat):
    from billing.models import License
    from tests.billing.factories import make_subscription

    foreign = make_subscription(make_tenant())
    sam = make_user(tenant, "sam")
    sign_in(client, admin)
    # Another organization's subscription looks exactly like a missing one: 404.
    for value in (foreign.pk, "x"):
        assert bulk(client, "assign_license", [sam], subscription=value).status_code == 404
    response = bulk(client, "assign_license", [sam], subscription="")
    assert response.status_code == 302
    assert "Choose a product first." in client.get(response.url).content.decode()
    assert not License.objects.filter(user=sam).exists()
    assert not License.objects.filter(subscription=foreign).exists()


def test_delete_confirmation_lists_who_is_included(client, tenant, admin, pat):
    boss = make_user(tenant, "boss", roles=[GLOBAL_ADMIN], display_name="The Boss")
    sign_in(client, make_user(tenant, roles=[USER_ADMIN]))
    page = bulk(client, "delete", [pat, boss], query="q=p").content.decode()
    assert 'data-testid="bulk-delete-refused"' in page and "The Boss" in page
    assert f'name="ids" value="{pat.pk}"' in page
    assert f'name="ids" value="{boss.pk}"' not in page
    assert 'action="/users/bulk/delete/"' in page and 'name="query" value="q=p"' in page
    assert User.objects.get(pk=pat.pk).deleted_at is None
