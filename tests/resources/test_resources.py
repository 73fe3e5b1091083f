"""Resources: rooms and equipment with addresses unique across users, groups and resources."""

import re

import pytest

from accounts.models import AuditEvent
from accounts.roles import GLOBAL_ADMIN, GLOBAL_READER, GROUPS_ADMIN, HELPDESK_ADMIN, USER_ADMIN
from resources.models import Resource
from tests.factories import make_tenant, make_user
from tests.helpers import assert_forbidden, assert_not_found, sidebar, sign_in
from users import services as user_services

pytestmark = pytest.mark.django_db


def data(domain_name, **changes):
    return {
        "kind": "room",
        "name": "Board room",
        "local_part": "boardroom",
        "domain": domain_name,
        "capacity": "12",
        "location": "Floor 3",
        "booking_policy": "Book at most a week ahead.",
    } | changes


@pytest.mark.parametrize("role", [GLOBAL_ADMIN, USER_ADMIN])
def test_admins_add_edit_and_delete_resources(client, tenant, domain, role):
    sign_in(client, make_user(tenant, roles=[role]))
    response = client.post("/resources/add/", data(domain))
    assert response.url == "/resources/"
    room = Resource.objects.get()
    assert (room.email, room.capacity) == (f"boardroom@{domain}", 12)
    assert "Board room" in client.get("/resources/").content.decode()
    client.post(f"/resources/{room.pk}/", data(domain, name="Big room", capacity="20"))
    room.refresh_from_db()
    assert (room.name, room.capacity) == ("Big room", 20)
    page = client.get(f"/resources/{room.pk}/delete/").content.decode()
    assert "Delete Big room?" in page and Resource.objects.exists()  # asking deletes nothing
    assert client.post(f"/resources/{room.pk}/delete/").url == "/resources/"
    assert not Resource.objects.exists()
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions[-3:] == ["resource.create", "resource.change", "resource.delete"]


def test_addresses_are_shared_with_users_and_groups(client, tenant, domain):
    make_user(tenant, "boardroom")
    sign_in(client, make_user(tenant, roles=[GLOBAL_ADMIN]))
    page = client.post("/resources/add/", data(domain)).content.decode()
    assert "in use by a user, a group or a resource" in page
    response = client.post("/resources/add/", data(domain, local_part="room-1"))
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert not user_services.username_available(f"room-1@{domain}")


def test_bad_input_is_reported(client, tenant, domain):
    sign_in(client, make_user(tenant, roles=[GLOBAL_ADMIN]))
    page = client.post(
        "/resources/add/",
        data(domain, kind="spaceship", name="", capacity="-1", domain="x.example"),
    ).content.decode()
    assert page.count("Select a valid choice.") >= 2 and "This field is required." in page
    assert not Resource.objects.exists()


def test_the_type_offers_room_and_equipment_only_and_must_be_chosen(client, tenant, domain):
    sign_in(client, make_user(tenant, roles=[GLOBAL_ADMIN]))
    page = client.get("/resources/add/").content.decode()
    radios = re.findall(r'<input type="radio" name="kind" value="([^"]*)"', page)
    assert radios == ["room", "equipment"]
    assert "---------" not in page

    missing = client.post("/resources/add/", data(domain, kind=""))

    assert missing.status_code == 200
    assert "Choose whether it is a room or equipment." in missing.content.decode()
    assert not Resource.objects.exists()


@pytest.mark.parametrize("role", [HELPDESK_ADMIN, GROUPS_ADMIN, None])
def test_other_roles_get_403_and_no_nav(client, tenant, domain, role):
    sign_in(client, make_user(tenant, roles=[role] if role else []))
    assert_forbidden(client.get("/resources/"))
    assert_forbidden(client.post("/resources/add/", data(domain)))
    if role:
        assert "/resources/" not in sidebar(client.get("/"))


def test_the_global_reader_reads_resources_and_changes_none(client, tenant, domain):
    room = Resource.objects.create(
        tenant=tenant, kind="room", name="Board room", email=f"boardroom@{domain}"
    )
    sign_in(client, make_user(tenant, roles=[GLOBAL_READER]))
    assert "/resources/" in sidebar(client.get("/"))
    listing = client.get("/resources/")
    assert listing.status_code == 200
    assert "Board room" in listing.content.decode()
    assert "/resources/add/" not in listing.content.decode()
    detail = client.get(f"/resources/{room.pk}/").content.decode()
    assert 'value="boardroom"' in detail and "disabled" in detail
    assert "You can read this resource." in detail
    assert 'type="submit"' not in detail.split('data-testid="resource-form"')[1]
    assert_forbidden(client.get("/resources/add/"))
    assert_forbidden(client.post("/resources/add/", data(domain, local_part="other")))
    assert_forbidden(client.post(f"/resources/{room.pk}/", data(domain, name="Mine now")))
    confirm = client.get(f"/resources/{room.pk}/delete/").content.decode()
    assert "You can read this resource." in confirm and "button-danger" not in confirm
    assert_forbidden(client.post(f"/resources/{room.pk}/delete/"))
    room.refresh_from_db()
    assert room.name == "Board room"
    assert Resource.objects.count() == 1


def test_the_global_reader_gets_404_for_another_tenants_resource(client, tenant):
    other = make_tenant()
    foreign = Resource.objects.create(
        tenant=other, kind="room", name="Secret", email=f"secret@{other.domain_set.get().name}"
    )
    sign_in(client, make_user(tenant, roles=[GLOBAL_READER]))
    assert_not_found(client.get(f"/resources/{foreign.pk}/"))
    assert "Secret" not in client.get("/resources/").content.decode()


def test_another_tenants_resource_is_404(client, tenant, domain):
    other = make_tenant()
    foreign = Resource.objects.create(
        tenant=other, kind="room", name="Secret", email=f"secret@{other.domain_set.get().name}"
    )
    sign_in(client, make_user(tenant, roles=[GLOBAL_ADMIN]))
    assert_not_found(client.get(f"/resources/{foreign.pk}/"))
    assert_not_found(client.post(f"/resources/{foreign.pk}/", data(domain, name="Mine")))
    assert_not_found(client.get(f"/resources/{foreign.pk}/delete/"))
    assert_not_found(client.post(f"/resources/{foreign.pk}/delete/"))
    assert_not_found(client.post("/resources/999999/delete/"))
    foreign.refresh_from_db()
    assert foreign.name == "Secret"


def test_a_services_refusal_is_403_and_changes_nothing(tenant, domain):
    from core.exceptions import Forbidden
    from resources import services

    reader = make_user(tenant, roles=[GLOBAL_READER])
    fields = {k: v for k, v in data(domain).items() if k not in ("local_part", "domain")}
    fields["capacity"] = 12
    with pytest.raises(Forbidden):
        services.resource_save(
            tenant=tenant, acting_user=reader, local_part="room", domain=domain, **fields
        )
    assert not Resource.objects.exists()
