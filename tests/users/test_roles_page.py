"""Roles page: what each role may do, who holds it, give and take away within the rules."""

import pytest

from accounts.models import AuditEvent, User
from accounts.roles import (
    BILLING_ADMIN,
    GLOBAL_ADMIN,
    GROUPS_ADMIN,
    HELPDESK_ADMIN,
    USER_ADMIN,
)
from tests.factories import make_tenant, make_user
from tests.helpers import assert_forbidden, assert_not_found, sidebar, sign_in

pytestmark = pytest.mark.django_db

URL = "/users/roles/"
ASSIGN = "/users/roles/assign/"
REMOVE = "/users/roles/remove/"


def test_lists_every_role_with_its_holders_and_permissions(client, tenant, admin):
    make_user(tenant, "desk", roles=[HELPDESK_ADMIN], display_name="Desk Dana")
    make_user(
        tenant,
        "gone",
        roles=[HELPDESK_ADMIN],
        display_name="Gone Gus",
        deleted_at="2026-01-01T00:00Z",
    )
    make_user(make_tenant(), "stranger", roles=[HELPDESK_ADMIN], display_name="Other Org")
    sign_in(client, admin)
    page = client.get(URL).content.decode()
    for code in (GLOBAL_ADMIN, HELPDESK_ADMIN, BILLING_ADMIN, GROUPS_ADMIN):
        assert f'data-testid="role-{code}"' in page
    assert "Desk Dana" in page and "Gone Gus" not in page and "Other Org" not in page
    assert "Reset passwords" in page
    assert URL in sidebar(client.get("/"))


def test_warns_when_there_is_only_one_global_admin(client, tenant, admin):
    sign_in(client, admin)
    assert 'data-testid="one-global-admin"' in client.get(URL).content.decode()
    assert 'data-testid="one-global-admin"' in client.get("/users/").content.decode()
    make_user(tenant, "second", roles=[GLOBAL_ADMIN])
    assert 'data-testid="one-global-admin"' not in client.get(URL).content.decode()


def test_a_blocked_second_global_admin_does_not_silence_the_warning(client, tenant, admin):
    make_user(tenant, "blocked", roles=[GLOBAL_ADMIN], is_sign_in_blocked=True)
    sign_in(client, admin)

    assert 'data-testid="one-global-admin"' in client.get(URL).content.decode()
    assert 'data-testid="one-global-admin"' in client.get("/users/").content.decode()


def test_global_admin_gives_and_takes_a_role(client, tenant, admin):
    pat = make_user(tenant, "pat", display_name="Pat")
    sign_in(client, admin)
    response = client.post(ASSIGN, {"role": BILLING_ADMIN, "user": pat.pk})
    assert response.url == URL
    assert "Pat is now Billing admin." in client.get(URL).content.decode()
    assert User.objects.get(pk=pat.pk).role_codes == {BILLING_ADMIN}
    client.post(REMOVE, {"role": BILLING_ADMIN, "user": pat.pk})
    assert User.objects.get(pk=pat.pk).role_codes == set()
    assert list(AuditEvent.objects.values_list("action", flat=True).order_by("id")) == [
        "role.assign",
        "role.remove",
    ]


def test_unknown_or_foreign_users_are_not_found_nor_assigned(client, tenant, admin):
    stranger = make_user(make_tenant(), "stranger")
    gone = make_user(tenant, "gone", deleted_at="2026-01-01T00:00Z")
    sign_in(client, admin)
    for user in (stranger.pk, gone.pk, 10**9, "x"):
        assert_not_found(client.post(ASSIGN, {"role": HELPDESK_ADMIN, "user": user}))
    assert User.objects.get(pk=stranger.pk).role_codes == set()
    assert User.objects.get(pk=gone.pk).role_codes == set()
    response = client.post(ASSIGN, {"role": HELPDESK_ADMIN})
    assert response.status_code == 200 and "Choose a person first." in response.content.decode()
    assert not AuditEvent.objects.filter(action="role.assign").exists()
    assert_not_found(client.post(REMOVE, {"role": HELPDESK_ADMIN, "user": stranger.pk}))


def test_the_last_global_admin_keeps_the_role(client, tenant, admin):
    sign_in(client, admin)
    client.post(REMOVE, {"role": GLOBAL_ADMIN, "user": admin.pk})
    assert "at least one Global admin" in client.get(URL).content.decode()
    assert GLOBAL_ADMIN in User.objects.get(pk=admin.pk).role_codes


GUARD_MESSAGE = (
    "An organization needs at least one Global admin who can sign in. First make someone "
    "else Global admin, or allow a blocked Global admin to sign in again."
)


def test_promote_block_then_remove_your_own_role_is_refused(client, tenant, admin):
    # The reported sequence, through the pages: it used to leave nobody who can sign in.
    pat = make_user(tenant, "pat", display_name="Pat")
    sign_in(client, admin)
    client.post(ASSIGN, {"role": GLOBAL_ADMIN, "user": pat.pk})
    client.post("/users/bulk/block/", {"ids": [pat.pk], "return_to": "detail"})
    assert User.objects.get(pk=pat.pk).is_sign_in_blocked

    response = client.post(REMOVE, {"role": GLOBAL_ADMIN, "user": admin.pk})

    assert response.url == URL
    assert GUARD_MESSAGE in client.get(URL).content.decode()
    assert GLOBAL_ADMIN in User.objects.get(pk=admin.pk).role_codes
    assert not AuditEvent.objects.filter(action="role.remove").exists()
    # Once Pat may sign in again, the same removal is accepted.
    client.post("/users/bulk/unblock/", {"ids": [pat.pk]})
    client.post(REMOVE, {"role": GLOBAL_ADMIN, "user": admin.pk})
    assert GLOBAL_ADMIN not in User.objects.get(pk=admin.pk).role_codes


def test_user_admin_changes_only_the_limited_roles(client, tenant, admin):
    pat = make_user(tenant, "pat")
    sign_in(client, make_user(tenant, roles=[USER_ADMIN]))
    page = client.get(URL).content.decode()
    assert 'id="assign-helpdesk_admin-user"' in page
    assert 'id="assign-global_admin-user"' not in page
    client.post(ASSIGN, {"role": GROUPS_ADMIN, "user": pat.pk})
    assert User.objects.get(pk=pat.pk).role_codes == {GROUPS_ADMIN}
    assert_forbidden(client.post(ASSIGN, {"role": GLOBAL_ADMIN, "user": pat.pk}))
    assert_forbidden(client.post(REMOVE, {"role": GLOBAL_ADMIN, "user": admin.pk}))
    assert GLOBAL_ADMIN in User.objects.get(pk=admin.pk).role_codes


def test_helpdesk_can_neither_see_nor_change_roles(client, tenant, admin):
    sign_in(client, make_user(tenant, roles=[HELPDESK_ADMIN]))
    assert_forbidden(client.get(URL))
    assert_forbidden(client.post(ASSIGN, {"role": HELPDESK_ADMIN, "user": "x"}))


def test_bad_role_or_action_is_refused(client, tenant, admin):
    pat = make_user(tenant, "pat")
    sign_in(client, admin)
    response = client.post(ASSIGN, {"role": "emperor", "user": pat.pk})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    response = client.post(REMOVE, {"role": "emperor", "user": admin.pk})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert client.post("/users/roles/crown/", {"role": HELPDESK_ADMIN}).status_code == 404
    assert not AuditEvent.objects.filter(action__startswith="role.").exists()


def test_a_malformed_or_deleted_users_id_is_not_found(client, tenant, admin):
    gone = make_user(tenant, "gone", roles=[HELPDESK_ADMIN], deleted_at="2026-01-01T00:00Z")
    sign_in(client, admin)
    for user in ("x", "", gone.pk, 10**9):
        response = client.post(REMOVE, {"role": HELPDESK_ADMIN, "user": user})
        assert response.status_code in (200, 404)
        if user:
            assert_not_found(response)
    assert User.objects.get(pk=gone.pk).role_codes == {HELPDESK_ADMIN}


def test_role_pages_ask_before_they_change(client, tenant, admin):
    sign_in(client, admin)
    assert client.get(ASSIGN).status_code == 200
    assert client.get(REMOVE).status_code == 200
    assert not AuditEvent.objects.filter(action__startswith="role.").exists()
    client.logout()
    sign_in(client, make_user(tenant, roles=[HELPDESK_ADMIN]))
    assert_forbidden(client.get(ASSIGN))
    assert_forbidden(client.get(REMOVE))


def test_query_count_is_bounded(client, tenant, admin, django_assert_max_num_queries):
    for n in range(40):
        make_user(tenant, f"a{n}", roles=[HELPDESK_ADMIN if n % 2 else GROUPS_ADMIN])
    sign_in(client, admin)
    with django_assert_max_num_queries(8):
        client.get(URL)
