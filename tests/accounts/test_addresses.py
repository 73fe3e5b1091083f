"""The one address namespace: claims of users, groups and resources, and their backfill."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts import addresses
from accounts.models import AddressClaim, User
from groups import services as group_services
from groups.models import Group
from resources import services as resource_services
from resources.models import Resource
from tests.factories import make_operator, make_user
from users import services as user_services
from users.csv_import import UserRow

pytestmark = pytest.mark.django_db

backfill = importlib.import_module("accounts.migrations.0015_address_claims_backfill")


def claimed(address):
    """Return the owner of ``address``'s claim, or None."""
    claim = AddressClaim.objects.filter(address=address).first()
    return claim and claim.owner


def group(tenant, admin, email, name="Sales"):
    return group_services.group_create(
        tenant=tenant, acting_user=admin, kind="distribution", name=name, email=email
    )


def resource(tenant, admin, domain, local_part="boardroom", existing=None):
    return resource_services.resource_save(
        tenant=tenant,
        acting_user=admin,
        resource=existing,
        local_part=local_part,
        domain=domain,
        kind="room",
        name="Board room",
        capacity=12,
        location="",
        booking_policy="",
    )


def taken_code(error, field):
    return error.error_dict[field][0].code


# --- claim, release, rename ---------------------------------------------------------


def test_a_claim_is_normalized_and_belongs_to_its_owner(tenant, domain):
    user = make_user(tenant, "anna")
    claim = addresses.claim(tenant=tenant, address=f"  Anna@{domain.upper()} ", owner=user)
    assert claim.address == f"anna@{domain}"
    assert claim.tenant == tenant
    assert claimed(f"anna@{domain}") == user


def test_claiming_again_for_the_same_owner_is_harmless(tenant, domain):
    user = make_user(tenant, "anna")
    addresses.claim(tenant=tenant, address=user.username, owner=user)
    addresses.claim(tenant=tenant, address=user.username.upper(), owner=user)
    assert AddressClaim.objects.count() == 1


def test_an_address_claimed_by_another_owner_is_taken(tenant, domain):
    user = make_user(tenant, "anna")
    addresses.claim(tenant=tenant, address=user.username, owner=user)
    # A group given the same address without checking (as two racing requests would).
    other = Group.objects.create(tenant=tenant, kind="distribution", name="G", email="")
    with pytest.raises(ValidationError) as caught:
        addresses.claim(tenant=tenant, address=f"ANNA@{domain}", owner=other)
    assert taken_code(caught.value, "email") == "address_taken"
    assert f"anna@{domain} is in use by a user, a group or a resource." in caught.value.messages
    assert claimed(user.username) == user


def test_an_address_held_without_a_claim_is_taken_too(tenant, domain):
    # Users made outside the services (the operators' site, the demo seeding) hold no claim.
    make_user(tenant, "anna")
    other = Group.objects.create(tenant=tenant, kind="distribution", name="G", email="")
    with pytest.raises(ValidationError):
        addresses.claim(tenant=tenant, address=f"anna@{domain}", owner=other)
    assert not AddressClaim.objects.exists()


def test_the_callers_error_is_raised_when_taken(tenant, domain):
    user = make_user(tenant, "anna")
    other = Group.objects.create(tenant=tenant, kind="distribution", name="G", email="")
    mine = ValidationError("mine", code="mine")
    with pytest.raises(ValidationError) as caught:
        addresses.claim(tenant=tenant, address=user.username, owner=other, taken=mine)
    assert caught.value is mine


def test_a_claim_whose_owner_let_go_of_the_address_is_taken_over(tenant, domain):
    user = make_user(tenant, "anna")
    addresses.claim(tenant=tenant, address=user.username, owner=user)
    # Renamed where no claim moves (the operators' site).
    User.objects.filter(pk=user.pk).update(username=f"anna.b@{domain}")
    other = Group.objects.create(tenant=tenant, kind="distribution", name="G", email="")
    addresses.claim(tenant=tenant, address=f"anna@{domain}", owner=other)
    assert claimed(f"anna@{domain}") == other


def test_a_claim_whose_owner_is_gone_is_taken_over(tenant, domain):
    user = make_user(tenant, "anna")
    addresses.claim(tenant=tenant, address=user.username, owner=user)
    User.objects.filter(pk=user.pk).delete()
    other = Group.objects.create(tenant=tenant, kind="distribution", name="G", email="")
    addresses.claim(tenant=tenant, address=f"anna@{domain}", owner=other)
    assert claimed(f"anna@{domain}") == other


def test_an_empty_address_claims_nothing(tenant):
    security = Group.objects.create(tenant=tenant, kind="security", name="G", email="")
    assert addresses.claim(tenant=tenant, address="", owner=security) is None
    assert not AddressClaim.objects.exists()


def test_release_frees_the_address(tenant, domain):
    user = make_user(tenant, "anna")
    addresses.claim(tenant=tenant, address=user.username, owner=user)
    assert addresses.release(owner=user) == 1
    assert not AddressClaim.objects.exists()
    assert addresses.release(owner=user) == 0


def test_rename_moves_the_claim(tenant, domain):
    user = make_user(tenant, "anna")
    addresses.claim(tenant=tenant, address=user.username, owner=user)
    addresses.rename(tenant=tenant, owner=user, address=f"anna.b@{domain}")
    assert list(AddressClaim.objects.values_list("address", flat=True)) == [f"anna.b@{domain}"]


def test_rename_to_a_taken_address_keeps_the_old_claim(tenant, domain):
    user = make_user(tenant, "anna")
    ben = make_user(tenant, "ben")
    addresses.claim(tenant=tenant, address=user.username, owner=user)
    addresses.claim(tenant=tenant, address=ben.username, owner=ben)
    with pytest.raises(ValidationError):
        addresses.rename(tenant=tenant, owner=user, address=ben.username)
    assert claimed(f"anna@{domain}") == user
    assert claimed(f"ben@{domain}") == ben


def test_rename_to_nothing_releases(tenant, domain):
    user = make_user(tenant, "anna")
    addresses.claim(tenant=tenant, address=user.username, owner=user)
    assert addresses.rename(tenant=tenant, owner=user, address="") is None
    assert not AddressClaim.objects.exists()


def test_claim_all_claims_every_address_or_none(tenant, domain):
    anna, ben = make_user(tenant, "anna"), make_user(tenant, "ben")
    addresses.claim_all(tenant=tenant, owners=[(anna, anna.username), (ben, ben.username)])
    assert AddressClaim.objects.count() == 2
    cara = make_user(tenant, "cara")
    dave = make_user(tenant, "dave")
    with pytest.raises(ValidationError):
        addresses.claim_all(tenant=tenant, owners=[(cara, cara.username), (dave, ben.username)])
    assert not AddressClaim.objects.filter(address=cara.username).exists()


def test_claimed_in_answers_with_the_tenant(tenant, domain):
    user = make_user(tenant, "anna")
    addresses.claim(tenant=tenant, address=user.username, owner=user)
    assert addresses.claimed_in([user.username, f"nobody@{domain}"]) == {user.username: tenant.pk}


# --- the services claim, move and release -------------------------------------------


def test_a_user_claims_on_create_and_rename_and_releases_on_delete(tenant, admin, domain):
    user, _password = user_services.user_create(
        tenant=tenant, acting_user=admin, username=f"Anna@{domain}", display_name="Anna"
    )
    assert claimed(f"anna@{domain}") == user
    user_services.user_username_change(
        tenant=tenant, acting_user=admin, user=user, username=f"anna.b@{domain}"
    )
    assert claimed(f"anna.b@{domain}") == user
    assert claimed(f"anna@{domain}") is None
    user_services.users_delete(tenant=tenant, acting_user=admin, users=[user])
    assert claimed(f"anna.b@{domain}") is None
    user_services.user_restore(
        tenant=tenant,
        acting_user=admin,
        user=User.objects.get(pk=user.pk),
        username=f"anna@{domain}",
    )
    assert claimed(f"anna@{domain}") == user


def test_a_purged_user_leaves_no_claim(tenant, admin, domain):
    user, _password = user_services.user_create(
        tenant=tenant, acting_user=admin, username=f"anna@{domain}", display_name="Anna"
    )
    user_services.users_delete(tenant=tenant, acting_user=admin, users=[user])
    # A claim left by an earlier version of the code goes with the user.
    addresses.claim(tenant=tenant, address=f"anna@{domain}", owner=user)
    User.objects.filter(pk=user.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    assert user_services.deleted_users_purge() == 1
    assert claimed(f"anna@{domain}") is None


def test_a_user_cannot_take_a_groups_or_a_resources_address(tenant, admin, domain):
    group(tenant, admin, f"sales@{domain}")
    resource(tenant, admin, domain)
    for local in ("sales", "boardroom"):
        with pytest.raises(ValidationError) as caught:
            user_services.user_create(
                tenant=tenant, acting_user=admin, username=f"{local}@{domain}", display_name="X"
            )
        assert taken_code(caught.value, "username") == "name_taken"


def test_a_user_is_not_restored_under_a_groups_address(tenant, admin, domain):
    user, _password = user_services.user_create(
        tenant=tenant, acting_user=admin, username=f"anna@{domain}", display_name="Anna"
    )
    user_services.users_delete(tenant=tenant, acting_user=admin, users=[user])
    group(tenant, admin, f"anna@{domain}")
    with pytest.raises(ValidationError) as caught:
        user_services.user_restore(
            tenant=tenant,
            acting_user=admin,
            user=User.objects.get(pk=user.pk),
            username=f"anna@{domain}",
        )
    assert caught.value.messages == [f"anna@{domain} is taken. Choose another sign-in name."]
    assert User.objects.get(pk=user.pk).deleted_at is not None


def test_an_import_claims_every_name_and_refuses_a_resources_address(tenant, admin, domain):
    rows = [UserRow(row=2, username=f"p{n}@{domain}", display_name=f"P {n}") for n in range(3)]
    user_services.users_import(tenant=tenant, acting_user=admin, rows=rows)
    assert set(addresses.claimed_in([row.username for row in rows])) == {
        row.username for row in rows
    }
    resource(tenant, admin, domain)
    with pytest.raises(ValidationError) as caught:
        user_services.users_import(
            tenant=tenant,
            acting_user=admin,
            rows=[UserRow(row=2, username=f"boardroom@{domain}", display_name="B")],
        )
    assert caught.value.code == "name_taken"
    assert not User.objects.filter(username=f"boardroom@{domain}").exists()


def test_a_group_claims_moves_releases_and_claims_again(tenant, admin, domain):
    sales = group(tenant, admin, f"sales@{domain}")
    assert claimed(f"sales@{domain}") == sales
    group_services.group_update(
        tenant=tenant, acting_user=admin, group=sales, email=f"sellers@{domain}"
    )
    assert claimed(f"sellers@{domain}") == sales
    assert claimed(f"sales@{domain}") is None
    group_services.groups_delete(tenant=tenant, acting_user=admin, groups=[sales])
    assert claimed(f"sellers@{domain}") is None
    group_services.group_restore(tenant=tenant, acting_user=admin, group=sales)
    assert claimed(f"sellers@{domain}") == Group.objects.get(pk=sales.pk)
    group_services.groups_delete(tenant=tenant, acting_user=admin, groups=[sales])
    Group.objects.filter(pk=sales.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    assert group_services.deleted_groups_purge() == 1
    assert not AddressClaim.objects.filter(address=f"sellers@{domain}").exists()


def test_a_group_cannot_take_a_resources_address(tenant, admin, domain):
    resource(tenant, admin, domain)
    with pytest.raises(ValidationError) as caught:
        group(tenant, admin, f"boardroom@{domain}")
    assert "in use by a user or a group" in caught.value.message_dict["email"][0]


def test_a_resource_claims_moves_and_releases(tenant, admin, domain):
    room = resource(tenant, admin, domain)
    assert claimed(f"boardroom@{domain}") == room
    resource(tenant, admin, domain, local_part="bigroom", existing=room)
    assert claimed(f"bigroom@{domain}") == room
    assert claimed(f"boardroom@{domain}") is None
    resource_services.resource_delete(tenant=tenant, acting_user=admin, resource=room)
    assert not AddressClaim.objects.filter(address=f"bigroom@{domain}").exists()


def test_a_resource_cannot_take_a_users_address(tenant, admin, domain):
    make_user(tenant, "boardroom")
    with pytest.raises(ValidationError) as caught:
        resource(tenant, admin, domain)
    assert "in use by a user, a group or a resource" in caught.value.message_dict["email"][0]
    assert not Resource.objects.exists()


# --- the migration's backfill -------------------------------------------------------


def test_the_backfill_claims_what_is_held_and_frees_what_is_deleted(tenant, domain):
    anna = make_user(tenant, "anna")
    gone = make_user(tenant, "gone", deleted_at=timezone.now())
    operator = make_operator()
    sales = Group.objects.create(
        tenant=tenant, kind="distribution", name="S", email=f"sales@{domain}"
    )
    Group.objects.create(
        tenant=tenant,
        kind="team",
        name="Old",
        email="",
        deleted_email=f"old@{domain}",
        deleted_at=timezone.now(),
    )
    Group.objects.create(tenant=tenant, kind="security", name="Sec", email="")
    room = Resource.objects.create(
        tenant=tenant, kind="room", name="R", email=f"boardroom@{domain}"
    )

    assert backfill.claims_backfill(apps, None) == []

    owners = {claim.address: claim.owner for claim in AddressClaim.objects.all()}
    # A deleted user's sign-in name and a deleted group's address are free for others.
    assert owners == {
        f"anna@{domain}": anna,
        operator.username: operator,
        f"sales@{domain}": sales,
        f"boardroom@{domain}": room,
    }
    assert gone.deleted_at is not None
    assert AddressClaim.objects.get(address=operator.username).tenant is None
    assert AddressClaim.objects.get(address=f"sales@{domain}").tenant == tenant


def test_the_backfill_run_again_adds_only_what_is_missing(tenant, domain):
    make_user(tenant, "anna")
    backfill.claims_backfill(apps, None)
    first = list(AddressClaim.objects.values_list("pk", "address"))
    ben = make_user(tenant, "ben")
    assert backfill.claims_backfill(apps, None) == []
    assert set(AddressClaim.objects.values_list("pk", "address")) > set(first)
    assert claimed(ben.username) == ben


def test_the_backfill_keeps_the_first_holder_of_a_conflict_and_reports_it(tenant, domain, caplog):
    anna = make_user(tenant, "anna")
    twin = Group.objects.create(
        tenant=tenant, kind="distribution", name="T", email=f"anna@{domain}"
    )
    conflicts = backfill.claims_backfill(apps, None)
    assert conflicts == [(f"anna@{domain}", f"user:{anna.pk}", f"group:{twin.pk}")]
    assert claimed(f"anna@{domain}") == anna
    assert f"group:{twin.pk}" in caplog.text


def test_claims_of_proxies_are_their_concrete_models(tenant, admin, domain):
    from groups.models import DeletedGroup

    sales = group(tenant, admin, f"sales@{domain}")
    group_services.groups_delete(tenant=tenant, acting_user=admin, groups=[sales])
    deleted = DeletedGroup.objects.get(pk=sales.pk)
    group_services.group_restore(tenant=tenant, acting_user=admin, group=deleted)
    claim = AddressClaim.objects.get(address=f"sales@{domain}")
    assert claim.owner_type == ContentType.objects.get_for_model(Group)


# --- the operators' site ------------------------------------------------------------


def test_operators_read_the_claims_and_change_none(client, tenant, admin, domain):
    from tests.accounts.test_admin import verified_operator_client

    group(tenant, admin, f"sales@{domain}")
    verified_operator_client(client)
    response = client.get("/operators/accounts/addressclaim/", {"q": "sales"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
    claim = AddressClaim.objects.get()
    assert client.get("/operators/accounts/addressclaim/add/").status_code == 403
    client.post(f"/operators/accounts/addressclaim/{claim.pk}/delete/", {"post": "yes"})
    assert AddressClaim.objects.filter(pk=claim.pk).exists()
