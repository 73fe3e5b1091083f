"""Bulk actions on selected users, and the CSV exports of the users list."""

import csv
import io

import pytest
from django.contrib.auth import authenticate
from django.test import Client

from accounts.models import AuditEvent, User
from accounts.roles import GLOBAL_ADMIN, GLOBAL_READER, HELPDESK_ADMIN, USER_ADMIN
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


@pytest.fixture
def tenant():
    return make_tenant()


@pytest.fixture
def admin(tenant):
    return make_user(tenant, "megan", roles=[GLOBAL_ADMIN], display_name="Megan Bowen")


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
