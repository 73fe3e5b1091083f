"""Delete (soft), Deleted users, restore within 30 days, purge; the last Global admin stays.

Deleting releases the user's licenses; restoring gives back those still free.
"""

import io
from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.models import AuditEvent, RoleAssignment, User
from accounts.roles import GLOBAL_ADMIN, GLOBAL_READER, HELPDESK_ADMIN, USER_ADMIN
from billing import services as billing_services
from billing.models import License, Subscription
from tests.billing.factories import make_product, make_subscription
from tests.factories import PASSWORD, make_tenant, make_user
from tests.helpers import assert_forbidden, assert_not_found, make_phone, sidebar, sign_in
from users import services
from users.models import ReleasedLicenses

pytestmark = pytest.mark.django_db

DELETE = "/users/bulk/delete/"


def delete(client, users, confirm=True):
    data = {"ids": [u.pk for u in users]}
    if confirm:
        data["confirm"] = "yes"
    return client.post(DELETE, data)


def test_delete_asks_first_then_stops_sign_in_and_frees_the_name(client, tenant, admin):
    pat = make_user(tenant, "pat", display_name="Pat Person", roles=[HELPDESK_ADMIN])
    make_phone(pat)
    pat_browser = sign_in(Client(), pat)
    sign_in(client, admin)

    page = delete(client, [pat], confirm=False).content.decode()
    assert "Delete 1 user" in page
    assert User.objects.get(pk=pat.pk).deleted_at is None

    response = delete(client, [pat])
    assert response.url == "/users/"
    pat.refresh_from_db()
    assert pat.deleted_at is not None
    assert pat.deleted_username == f"pat@{tenant.domain_set.get().name}"
    assert "@" not in pat.username
    assert pat_browser.get("/account/").status_code == 302
    assert authenticate(None, username=pat.deleted_username, password=PASSWORD) is None
    # Kept for a restore: roles and security info.
    assert RoleAssignment.objects.filter(user=pat).exists()
    assert pat.phonedevice_set.exists()
    # The name is free for someone new.
    make_user(tenant, "pat", display_name="Another Pat")
    assert AuditEvent.objects.filter(action="user.delete", target_id=str(pat.pk)).exists()
    listed = client.get("/users/").content.decode()
    assert "Pat Person" not in listed and "1 user was deleted" in listed


def test_deleted_users_list_shows_days_left_and_searches(client, tenant, admin):
    pat, sam = make_user(tenant, "pat", display_name="Pat"), make_user(tenant, "sam")
    services.users_delete(tenant=tenant, acting_user=admin, users=[pat, sam])
    User.objects.filter(pk=sam.pk).update(deleted_at=timezone.now() - timedelta(days=12, hours=1))
    sign_in(client, admin)
    page = client.get("/users/deleted/").content.decode()
    assert pat.deleted_username in page and "<td>30</td>" in page and "<td>18</td>" in page
    assert f"/users/deleted/{pat.pk}/restore/" in page
    searched = client.get("/users/deleted/", {"q": "sam@"}).content.decode()
    assert "sam@" in searched and pat.deleted_username not in searched
    assert "Deleted users" in sidebar(client.get("/"))


def test_restore_brings_the_account_back_with_a_new_password(client, tenant, admin):
    pat = make_user(tenant, "pat", display_name="Pat Person", roles=[HELPDESK_ADMIN])
    services.users_delete(tenant=tenant, acting_user=admin, users=[pat])
    sign_in(client, admin)
    page = client.get(f"/users/deleted/{pat.pk}/restore/").content.decode()
    assert f'value="{User.objects.get(pk=pat.pk).deleted_username}"' in page

    response = client.post(
        f"/users/deleted/{pat.pk}/restore/", {"username": f"pat@{tenant.domain_set.get().name}"}
    )
    assert response.status_code == 200
    import re

    password = re.search(r'data-testid="new-password">([^<]+)<', response.content.decode())[1]
    pat.refresh_from_db()
    assert pat.deleted_at is None and pat.must_change_password
    assert authenticate(None, username=pat.username, password=password) == pat
    assert pat.role_codes == {HELPDESK_ADMIN}
    assert AuditEvent.objects.filter(action="user.restore").count() == 1


def test_restore_asks_for_a_new_name_when_the_old_one_was_taken(client, tenant, admin):
    pat = make_user(tenant, "pat")
    old_name = pat.username
    services.users_delete(tenant=tenant, acting_user=admin, users=[pat])
    make_user(tenant, "pat")  # someone new took the name
    sign_in(client, admin)
    response = client.post(f"/users/deleted/{pat.pk}/restore/", {"username": old_name})
    assert f"{old_name} is taken. Choose another sign-in name." in response.content.decode()
    assert User.objects.get(pk=pat.pk).deleted_at is not None

    foreign = client.post(
        f"/users/deleted/{pat.pk}/restore/", {"username": "pat2@elsewhere.example"}
    )
    assert "not one of this organization" in foreign.content.decode()

    domain = tenant.domain_set.get().name
    client.post(f"/users/deleted/{pat.pk}/restore/", {"username": f"Pat.Two@{domain}"})
    pat.refresh_from_db()
    assert pat.deleted_at is None and pat.username == f"pat.two@{domain}"


def test_restore_is_refused_after_30_days(client, tenant, admin):
    pat = make_user(tenant, "pat")
    services.users_delete(tenant=tenant, acting_user=admin, users=[pat])
    User.objects.filter(pk=pat.pk).update(deleted_at=timezone.now() - timedelta(days=30))
    sign_in(client, admin)
    response = client.post(f"/users/deleted/{pat.pk}/restore/", {"username": "pat@x.example"})
    assert "can no longer be restored" in response.content.decode()
    assert User.objects.get(pk=pat.pk).deleted_at is not None


def test_purge_removes_users_deleted_over_30_days_ago_and_keeps_history(tenant, admin):
    old, recent = make_user(tenant, "old"), make_user(tenant, "recent")
    services.users_delete(tenant=tenant, acting_user=admin, users=[old, recent])
    User.objects.filter(pk=old.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    out = io.StringIO()
    call_command("purge_deleted_users", stdout=out)
    assert "1 deleted user(s)" in out.getvalue()
    assert not User.objects.filter(pk=old.pk).exists()
    assert User.objects.filter(pk=recent.pk).exists()
    purge = AuditEvent.objects.get(action="user.purge")
    assert purge.target_id == str(old.pk) and purge.old_values == {
        "username": f"old@{tenant.domain_set.get().name}"
    }
    assert AuditEvent.objects.filter(action="user.delete", target_id=str(old.pk)).exists()


def test_the_last_global_admin_can_be_neither_deleted_nor_blocked(tenant, admin):
    other = make_user(tenant, "other", roles=[GLOBAL_ADMIN])
    # Acting as the other Global admin, on the last one left who can sign in.
    services.users_sign_in_block(tenant=tenant, acting_user=admin, users=[other], blocked=True)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as blocked:
        services.users_sign_in_block(tenant=tenant, acting_user=other, users=[admin], blocked=True)
    assert blocked.value.code == "last_global_admin"
    with pytest.raises(ValidationError) as deleted:
        services.users_delete(tenant=tenant, acting_user=other, users=[admin])
    assert deleted.value.code == "last_global_admin"
    assert User.objects.get(pk=admin.pk).deleted_at is None


def test_user_admin_cannot_delete_a_global_admin_or_themselves(client, tenant, admin):
    user_admin = make_user(tenant, roles=[USER_ADMIN])
    sign_in(client, user_admin)
    page = delete(client, [admin], confirm=False).content.decode()
    assert 'data-testid="bulk-delete-refused"' in page and "bulk-delete-form" not in page
    assert_forbidden(delete(client, [admin]))
    assert_forbidden(delete(client, [user_admin]))
    assert User.objects.filter(deleted_at__isnull=False).count() == 0


@pytest.mark.parametrize("role", [HELPDESK_ADMIN, GLOBAL_READER])
def test_roles_without_delete_permission_cannot_delete_or_restore(client, tenant, admin, role):
    pat = make_user(tenant, "pat")
    gone = make_user(tenant, "gone")
    services.users_delete(tenant=tenant, acting_user=admin, users=[gone])
    sign_in(client, make_user(tenant, roles=[role]))
    assert_forbidden(delete(client, [pat]))
    assert_forbidden(client.get(f"/users/deleted/{gone.pk}/restore/"))
    assert_forbidden(client.post(f"/users/deleted/{gone.pk}/restore/", {"username": "x@y.z"}))
    page = client.get("/users/deleted/").content.decode()
    assert "/restore/" not in page


def test_restore_of_an_active_user_is_not_found(client, tenant, admin):
    pat = make_user(tenant, "pat")
    sign_in(client, admin)
    assert_not_found(client.get(f"/users/deleted/{pat.pk}/restore/"))


def test_block_and_delete_from_a_users_page_return_to_it(client, tenant, admin):
    pat = make_user(tenant, "pat")
    sign_in(client, admin)
    page = client.get(f"/users/{pat.pk}/").content.decode()
    assert f'href="/users/{pat.pk}/block/"' in page and 'formaction="/users/bulk/delete/"' in page
    response = client.post("/users/bulk/block/", {"ids": [pat.pk], "return_to": "detail"})
    assert response.url == f"/users/{pat.pk}/"
    assert 'formaction="/users/bulk/unblock/"' in client.get(f"/users/{pat.pk}/").content.decode()


def test_a_deleted_users_page_says_so(client, tenant, admin):
    pat = make_user(tenant, "pat")
    services.users_delete(tenant=tenant, acting_user=admin, users=[pat])
    sign_in(client, admin)
    page = client.get(f"/users/{pat.pk}/").content.decode()
    assert 'data-testid="deleted-notice"' in page and "/users/bulk/block/" not in page
    assert f"/users/{pat.pk}/block/" not in page


def test_a_deleted_users_password_cannot_be_reset(client, tenant, admin):
    pat = make_user(tenant, "pat")
    services.users_delete(tenant=tenant, acting_user=admin, users=[pat])
    sign_in(client, admin)
    assert_not_found(client.get(f"/users/{pat.pk}/reset-password/"))


# --- Licenses: released at deletion, given back on restore ------------------------


def _restore(client, user):
    domain = user.tenant.domain_set.get().name
    local = User.objects.get(pk=user.pk).deleted_username.split("@")[0]
    return client.post(f"/users/deleted/{user.pk}/restore/", {"username": f"{local}@{domain}"})


def _held(user):
    return set(
        License.objects.filter(user=user).values_list("subscription__product__sku", flat=True)
    )


@pytest.fixture
def products(tenant, admin):
    mail = make_subscription(tenant, make_product(sku="mail", name="Mail Plan"), quantity=2)
    files = make_subscription(tenant, make_product(sku="files", name="Files Plan"), quantity=1)
    return mail, files


def test_deleting_a_user_releases_their_licenses_and_says_so(client, tenant, admin, products):
    mail, files = products
    pat, sam = make_user(tenant, "pat"), make_user(tenant, "sam")
    billing_services.license_assign(
        tenant=tenant, acting_user=admin, subscription=mail, users=[pat, sam]
    )
    billing_services.license_assign(
        tenant=tenant, acting_user=admin, subscription=files, users=[pat]
    )
    sign_in(client, admin)

    page = delete(client, [pat, sam], confirm=False).content.decode()
    assert "Their licenses are released" in page
    delete(client, [pat, sam])

    # The organization no longer pays for seats of deleted people.
    assert not License.objects.filter(user__in=[pat, sam]).exists()
    released = AuditEvent.objects.filter(action="billing.license.unassign")
    assert sorted((e.target_id, e.old_values["product"]) for e in released) == sorted(
        [(str(pat.pk), "mail"), (str(sam.pk), "mail"), (str(pat.pk), "files")]
    )
    assert all(e.actor == admin for e in released)
    restore_page = client.get(f"/users/deleted/{pat.pk}/restore/").content.decode()
    assert 'data-testid="released-licenses"' in restore_page
    assert "Files Plan, Mail Plan" in restore_page or "Mail Plan, Files Plan" in restore_page


def test_restore_gives_back_the_licenses_still_free_and_names_the_others(
    client, tenant, admin, products
):
    mail, files = products
    pat = make_user(tenant, "pat", display_name="Pat Person")
    billing_services.license_assign(
        tenant=tenant, acting_user=admin, subscription=mail, users=[pat]
    )
    billing_services.license_assign(
        tenant=tenant, acting_user=admin, subscription=files, users=[pat]
    )
    services.users_delete(tenant=tenant, acting_user=admin, users=[pat])
    # Meanwhile someone else got the only Files Plan license.
    billing_services.license_assign(
        tenant=tenant, acting_user=admin, subscription=files, users=[make_user(tenant)]
    )
    sign_in(client, admin)

    response = _restore(client, pat)

    page = response.content.decode()
    assert 'data-testid="licenses-given-back"' in page and "Mail Plan" in page
    assert 'data-testid="licenses-not-given-back"' in page
    not_given = page.split('data-testid="licenses-not-given-back"')[1].split("</p>")[0]
    assert "Files Plan" in not_given and "Mail Plan" not in not_given
    assert _held(pat) == {"mail"}
    assert (
        AuditEvent.objects.filter(
            action="billing.license.assign", target_id=str(pat.pk), new_values={"product": "mail"}
        ).count()
        == 2
    )  # once at first, once on restore
    assert not ReleasedLicenses.objects.filter(user=pat).exists()


def test_restore_names_a_product_the_organization_no_longer_has(tenant, admin, products):
    mail, _files = products
    pat = make_user(tenant, "pat")
    billing_services.license_assign(
        tenant=tenant, acting_user=admin, subscription=mail, users=[pat]
    )
    services.users_delete(tenant=tenant, acting_user=admin, users=[pat])
    Subscription.objects.filter(pk=mail.pk).update(status=Subscription.Status.EXPIRED)

    restored = services.user_restore(
        tenant=tenant,
        acting_user=admin,
        user=User.objects.get(pk=pat.pk),
        username=f"pat2@{tenant.domain_set.get().name}",
    )

    assert restored.licenses_given_back == []
    assert restored.licenses_not_given_back == ["Mail Plan"]
    assert _held(pat) == set()


def test_a_user_without_licenses_is_deleted_and_restored_as_before(client, tenant, admin):
    pat = make_user(tenant, "pat")
    services.users_delete(tenant=tenant, acting_user=admin, users=[pat])
    assert not ReleasedLicenses.objects.exists()
    sign_in(client, admin)
    page = _restore(client, pat).content.decode()
    assert "licenses-given-back" not in page and "licenses-not-given-back" not in page


def test_a_second_deletion_remembers_the_licenses_held_then(tenant, admin, products):
    mail, files = products
    pat = make_user(tenant, "pat")
    billing_services.license_assign(
        tenant=tenant, acting_user=admin, subscription=mail, users=[pat]
    )
    services.users_delete(tenant=tenant, acting_user=admin, users=[pat])
    services.user_restore(
        tenant=tenant,
        acting_user=admin,
        user=User.objects.get(pk=pat.pk),
        username=f"pat@{tenant.domain_set.get().name}",
    )
    pat.refresh_from_db()
    billing_services.license_unassign(
        tenant=tenant, acting_user=admin, subscription=mail, users=[pat]
    )
    billing_services.license_assign(
        tenant=tenant, acting_user=admin, subscription=files, users=[pat]
    )
    services.users_delete(tenant=tenant, acting_user=admin, users=[User.objects.get(pk=pat.pk)])
    assert ReleasedLicenses.objects.get(user=pat).product_names == ["Files Plan"]


def test_released_licenses_go_with_the_user_when_purged(tenant, admin, products):
    mail, _files = products
    pat = make_user(tenant, "pat")
    billing_services.license_assign(
        tenant=tenant, acting_user=admin, subscription=mail, users=[pat]
    )
    services.users_delete(tenant=tenant, acting_user=admin, users=[pat])
    User.objects.filter(pk=pat.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    services.deleted_users_purge()
    assert not ReleasedLicenses.objects.exists()


def test_everyone_who_may_delete_users_may_release_their_licenses():
    # Deleting releases licenses through billing's services, which ask for this permission.
    from accounts.roles import CHANGE_LICENSES, DELETE_USERS, ROLES

    for role in ROLES.values():
        if DELETE_USERS in role.permissions:
            assert CHANGE_LICENSES in role.permissions, role.code


# --- Restoring a user who is blocked from signing in ------------------------------------


def test_restoring_a_blocked_user_says_they_are_still_blocked(client, tenant, admin):
    pat = make_user(tenant, "pat", display_name="Pat Person", is_sign_in_blocked=True)
    services.users_delete(tenant=tenant, acting_user=admin, users=[pat])
    sign_in(client, admin)
    assert (
        "stay blocked after the restore"
        in client.get(f"/users/deleted/{pat.pk}/restore/").content.decode()
    )

    page = _restore(client, pat).content.decode()

    assert "Pat Person is restored but still blocked from signing in." in page
    assert "can sign in again" not in page
    pat.refresh_from_db()
    assert pat.deleted_at is None and pat.is_sign_in_blocked


def test_restoring_an_unblocked_user_says_they_can_sign_in_again(client, tenant, admin):
    pat = make_user(tenant, "pat", display_name="Pat Person")
    services.users_delete(tenant=tenant, acting_user=admin, users=[pat])
    sign_in(client, admin)
    page = _restore(client, pat).content.decode()
    assert "Pat Person can sign in again with this password" in page
    assert "still blocked" not in page


def test_restore_of_another_organizations_deleted_user_is_not_found(client, tenant, admin):
    other = make_tenant()
    stranger = make_user(other, "stranger")
    services.users_delete(
        tenant=other, acting_user=make_user(other, roles=[GLOBAL_ADMIN]), users=[stranger]
    )
    sign_in(client, admin)
    url = f"/users/deleted/{stranger.pk}/restore/"
    assert_not_found(client.get(url))
    assert_not_found(client.post(url, {"username": f"stranger@{tenant.domain_set.get().name}"}))
    assert_not_found(client.get("/users/deleted/x/restore/"))
    assert User.objects.get(pk=stranger.pk).deleted_at is not None
    assert not AuditEvent.objects.filter(action="user.restore").exists()


def test_restore_without_a_name_is_refused_at_the_field(client, tenant, admin):
    pat = make_user(tenant, "pat")
    services.users_delete(tenant=tenant, acting_user=admin, users=[pat])
    sign_in(client, admin)
    response = client.post(f"/users/deleted/{pat.pk}/restore/", {"username": ""})
    assert response.status_code == 200 and 'class="field-error"' in response.content.decode()
    assert User.objects.get(pk=pat.pk).deleted_at is not None


def test_a_deleted_users_page_offers_no_action_of_an_active_user(client, tenant, admin):
    pat = make_user(tenant, "pat")
    services.users_delete(tenant=tenant, acting_user=admin, users=[pat])
    sign_in(client, admin)
    page = client.get(f"/users/{pat.pk}/").content.decode()
    assert f"/users/deleted/{pat.pk}/restore/" in page
    for action in ("sign-out/", "reregister/", "methods/", "temporary-pass/", "block/", "edit/"):
        assert f"/users/{pat.pk}/{action}" not in page
