"""Groups: kinds and their fields, unique addresses, owners, members, delete and restore."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.html import escape

from accounts.models import AuditEvent
from accounts.roles import (
    BILLING_ADMIN,
    GLOBAL_ADMIN,
    GLOBAL_READER,
    GROUPS_ADMIN,
    HELPDESK_ADMIN,
    USER_ADMIN,
)
from groups import services
from groups.models import Group, Membership, Privacy
from tests.factories import make_tenant, make_user
from tests.helpers import assert_forbidden, assert_not_found, sidebar, sign_in
from users import services as user_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenant():
    return make_tenant()


@pytest.fixture
def domain(tenant):
    return tenant.domain_set.get().name


@pytest.fixture
def admin(tenant):
    return make_user(tenant, "ga", roles=[GROUPS_ADMIN], display_name="Grace Admin")


def create(tenant, admin, kind="team", **fields):
    defaults = {
        "name": "Sales",
        "email": f"sales@{tenant.domain_set.get().name}" if kind != "security" else "",
        "privacy": "private" if kind == "team" else "",
        "owners": [admin] if kind == "team" else [],
    }
    return services.group_create(
        tenant=tenant, acting_user=admin, kind=kind, **{**defaults, **fields}
    )


@pytest.mark.parametrize(
    ("kind", "fields", "error_field"),
    [
        ("team", {"email": ""}, "email"),
        ("team", {"privacy": ""}, "privacy"),
        ("team", {"owners": []}, "owners"),
        ("security", {"email": "sec@x.example"}, "email"),
        ("distribution", {"privacy": "public"}, "privacy"),
        ("shared_mailbox", {"allow_external_senders": True}, "allow_external_senders"),
        ("mail_security", {"email": ""}, "email"),
    ],
)
def test_each_kind_has_its_required_and_forbidden_fields(tenant, admin, kind, fields, error_field):
    with pytest.raises(ValidationError) as caught:
        create(tenant, admin, kind, **fields)
    assert error_field in caught.value.message_dict
    assert not Group.objects.exists()


@pytest.mark.parametrize(
    "kind", ["team", "distribution", "mail_security", "security", "shared_mailbox"]
)
def test_every_kind_can_be_created(tenant, admin, kind):
    group = create(tenant, admin, kind, allow_external_senders=kind == "distribution")
    assert group.kind == kind
    assert AuditEvent.objects.filter(action="group.create", target_id=str(group.pk)).exists()


def test_addresses_are_unique_across_users_and_groups(tenant, admin, domain):
    make_user(tenant, "sales")
    with pytest.raises(ValidationError) as caught:
        create(tenant, admin)
    assert "in use by a user or a group" in caught.value.message_dict["email"][0]
    group = create(tenant, admin, email=f"team@{domain}")
    assert not user_services.username_available(f"team@{domain}")
    with pytest.raises(ValidationError):
        create(tenant, admin, name="Other", email=f"team@{domain}")
    assert group.email == f"team@{domain}"


def test_a_team_group_keeps_one_owner(tenant, admin):
    group = create(tenant, admin)
    with pytest.raises(ValidationError) as caught:
        services.group_people_remove(
            tenant=tenant, acting_user=admin, group=group, users=[admin], role="owner"
        )
    assert caught.value.code == "last_owner"
    other = make_user(tenant)
    services.group_people_add(
        tenant=tenant, acting_user=admin, group=group, users=[other], role="owner"
    )
    services.group_people_remove(
        tenant=tenant, acting_user=admin, group=group, users=[admin], role="owner"
    )
    assert list(
        Membership.objects.filter(group=group, role="owner").values_list("user", flat=True)
    ) == [other.pk]


def test_members_must_be_active_users_of_the_tenant(tenant, admin):
    group = create(tenant, admin)
    with pytest.raises(ValidationError):
        services.group_people_add(
            tenant=tenant,
            acting_user=admin,
            group=group,
            users=[make_user(make_tenant())],
            role="member",
        )


def test_a_deleted_user_leaves_member_lists_and_comes_back_on_restore(
    client, tenant, admin, domain
):
    group = create(tenant, admin)
    pat = make_user(tenant, "pat", display_name="Pat Person")
    services.group_people_add(
        tenant=tenant, acting_user=admin, group=group, users=[pat], role="member"
    )
    boss = make_user(tenant, "boss", roles=[GLOBAL_ADMIN])
    user_services.users_delete(tenant=tenant, acting_user=boss, users=[pat])
    sign_in(client, admin)
    assert "Pat Person" not in client.get(f"/groups/{group.pk}/").content.decode()
    user_services.user_restore(tenant=tenant, acting_user=boss, user=pat, username=f"pat@{domain}")
    assert "Pat Person" in client.get(f"/groups/{group.pk}/").content.decode()


def test_delete_restore_and_purge(tenant, admin, domain):
    group = create(tenant, admin)
    services.groups_delete(tenant=tenant, acting_user=admin, groups=[group])
    assert group.email == "" and group.deleted_email == f"sales@{domain}"
    # The address is free meanwhile.
    other = create(tenant, admin, name="New sales")
    with pytest.raises(ValidationError) as caught:
        services.group_restore(tenant=tenant, acting_user=admin, group=group)
    assert "in use by a user or a group" in caught.value.message_dict["email"][0]
    services.group_restore(
        tenant=tenant, acting_user=admin, group=group, email=f"old-sales@{domain}"
    )
    assert Group.objects.get(pk=group.pk).email == f"old-sales@{domain}"
    services.groups_delete(tenant=tenant, acting_user=admin, groups=[other])
    Group.objects.filter(pk=other.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    assert services.deleted_groups_purge() == 1
    assert not Group.objects.filter(pk=other.pk).exists()
    with pytest.raises(ValidationError):
        Group.objects.filter(pk=group.pk).update(deleted_at=timezone.now() - timedelta(days=30))
        services.group_restore(
            tenant=tenant, acting_user=admin, group=Group.objects.get(pk=group.pk)
        )


@pytest.mark.parametrize("role", [GLOBAL_ADMIN, USER_ADMIN, GROUPS_ADMIN])
def test_managing_roles_see_and_change_groups(client, tenant, role):
    sign_in(client, make_user(tenant, roles=[role]))
    assert client.get("/groups/").status_code == 200
    assert "Add a group" in client.get("/groups/").content.decode()
    assert "/groups/" in sidebar(client.get("/"))


@pytest.mark.parametrize("role", [GLOBAL_READER, HELPDESK_ADMIN])
def test_readers_read_groups_and_change_nothing(client, tenant, admin, role):
    group = create(tenant, admin)
    sign_in(client, make_user(tenant, roles=[role]))
    page = client.get("/groups/").content.decode()
    assert "Sales" in page and "Add a group" not in page
    assert_forbidden(client.post(f"/groups/{group.pk}/", {"action": "general", "name": "X"}))
    assert_forbidden(client.get("/groups/add/"))
    assert_forbidden(client.post("/groups/", {"ids": [group.pk]}))


@pytest.mark.parametrize("role", [BILLING_ADMIN, None])
def test_others_get_403(client, tenant, role):
    sign_in(client, make_user(tenant, roles=[role] if role else []))
    assert_forbidden(client.get("/groups/"))


def test_list_search_filter_sort_and_export(client, tenant, admin, domain):
    create(tenant, admin, name="Sales")
    create(tenant, admin, "security", name="Laptops")
    create(tenant, admin, "distribution", name="Newsletter", email=f"news@{domain}")
    sign_in(client, admin)
    page = client.get("/groups/", {"q": "news"}).content.decode()
    assert "Newsletter" in page and "Laptops" not in page
    page = client.get("/groups/", {"kind": "security"}).content.decode()
    assert "Laptops" in page and "Sales" not in page
    page = client.get("/groups/", {"sort": "-name"}).content.decode()
    assert page.index("Sales") < page.index("Newsletter") < page.index("Laptops")
    export = b"".join(client.get("/groups/export/").streaming_content).decode()
    assert (
        export.splitlines()[0] == "Name,Type,Email address,Members,Created"
        and "Newsletter" in export
    )


def test_list_query_count_is_bounded(client, tenant, admin, django_assert_max_num_queries):
    for n in range(30):
        create(tenant, admin, "security", name=f"Group {n}")
    sign_in(client, admin)
    with django_assert_max_num_queries(12):
        client.get("/groups/")


def test_add_and_remove_people_on_the_group_page(client, tenant, admin):
    group = create(tenant, admin)
    pat, sam = (
        make_user(tenant, "pat", display_name="Pat"),
        make_user(tenant, "sam", display_name="Sam"),
    )
    sign_in(client, admin)
    assert "Pat" in client.get(f"/groups/{group.pk}/", {"q": "pa"}).content.decode()
    client.post(f"/groups/{group.pk}/", {"action": "add_member", "users": [pat.pk, sam.pk]})
    assert Membership.objects.filter(group=group, role="member").count() == 2
    client.post(f"/groups/{group.pk}/", {"action": "remove_member", "users": [pat.pk]})
    assert list(
        Membership.objects.filter(group=group, role="member").values_list("user", flat=True)
    ) == [sam.pk]
    stranger = make_user(make_tenant())
    assert_not_found(
        client.post(f"/groups/{group.pk}/", {"action": "add_member", "users": [stranger.pk]})
    )
    response = client.post(f"/groups/{group.pk}/", {"action": "remove_owner", "users": [admin.pk]})
    assert "keeps at least one owner" in client.get(response.url).content.decode()


def test_another_tenants_group_is_404(client, tenant, admin):
    other_tenant = make_tenant()
    foreign = create(other_tenant, make_user(other_tenant, roles=[GROUPS_ADMIN]))
    sign_in(client, admin)
    assert_not_found(client.get(f"/groups/{foreign.pk}/"))
    assert_not_found(client.post("/groups/", {"ids": [foreign.pk]}))
    assert Group.objects.get(pk=foreign.pk).deleted_at is None


def test_bulk_delete_then_restore_from_deleted_groups(client, tenant, admin, domain):
    group = create(tenant, admin)
    sign_in(client, admin)
    client.post("/groups/", {"ids": [group.pk]})
    assert "Sales" in client.get("/groups/deleted/").content.decode()
    client.post(f"/groups/deleted/{group.pk}/restore/", {"email": f"sales@{domain}"})
    assert Group.objects.get(pk=group.pk).deleted_at is None


def test_the_wizard_creates_a_team_group(client, tenant, admin, domain):
    owner = make_user(tenant, "olivia", display_name="Olivia Owner")
    sign_in(client, admin)
    client.get("/groups/add/?start=1")
    assert client.post("/groups/add/type/", {"kind": "team"}).url == "/groups/add/basics/"
    client.post("/groups/add/basics/", {"name": "Marketing", "description": "Campaigns"})
    # No owner: refused.
    response = client.post("/groups/add/owners/", {"action": "next"})
    assert "at least one owner" in client.get(response.url).content.decode()
    client.post("/groups/add/owners/", {"action": "add", "users": [owner.pk]})
    client.post("/groups/add/owners/", {"action": "next"})
    taken = client.post(
        "/groups/add/settings/", {"local_part": "ga", "domain": domain, "privacy": "public"}
    )
    assert "in use by a user or a group" in taken.content.decode()
    client.post(
        "/groups/add/settings/", {"local_part": "marketing", "domain": domain, "privacy": "public"}
    )
    assert "Marketing" in client.get("/groups/add/review/").content.decode()
    assert not Group.objects.exists()
    response = client.post("/groups/add/review/")
    group = Group.objects.get()
    assert response.url == f"/groups/{group.pk}/"
    assert (group.email, group.privacy) == (f"marketing@{domain}", "public")
    assert list(
        Membership.objects.filter(group=group, role="owner").values_list("user", flat=True)
    ) == [owner.pk]


@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_wizards_review_shows_the_privacy_in_words(client, tenant, admin, domain, language):
    owner = make_user(tenant, "olivia", display_name="Olivia Owner")
    admin.preferred_language = language
    admin.save(update_fields=["preferred_language"])
    sign_in(client, admin)
    client.get("/groups/add/?start=1")
    client.post("/groups/add/type/", {"kind": "team"})
    client.post("/groups/add/basics/", {"name": "Board", "description": ""})
    client.post("/groups/add/owners/", {"action": "add", "users": [owner.pk]})
    client.post("/groups/add/owners/", {"action": "next"})
    client.post(
        "/groups/add/settings/", {"local_part": "board", "domain": domain, "privacy": "private"}
    )

    with translation.override(language):
        label = str(Privacy.PRIVATE.label)
    page = client.get("/groups/add/review/").content.decode()

    review = page[page.index('data-testid="group-add-review"') :]
    assert f"<dd>{escape(label)}</dd>" in review
    assert "<dd>private</dd>" not in review


def test_wizard_steps_cannot_be_skipped(client, admin):
    sign_in(client, admin)
    client.get("/groups/add/?start=1")
    assert client.get("/groups/add/review/").url == "/groups/add/type/"
    assert client.get("/groups/add/nonsense/").status_code == 404


def test_groups_on_a_users_page(client, tenant, admin):
    group = create(tenant, admin)
    other = create(tenant, admin, "security", name="Laptops")
    pat = make_user(tenant, "pat")
    sign_in(client, admin)
    page = client.get(f"/users/{pat.pk}/").content.decode()
    assert 'data-testid="user-groups"' in page and "Not in any group." in page
    assert "Laptops" in client.get(f"/users/{pat.pk}/groups/", {"q": "lap"}).content.decode()
    client.post(f"/users/{pat.pk}/groups/join/", {"role": "member", "groups": [group.pk, other.pk]})
    assert Membership.objects.filter(user=pat, role="member").count() == 2
    client.post(f"/users/{pat.pk}/groups/leave/", {"role": "member", "groups": [other.pk]})
    assert list(Membership.objects.filter(user=pat).values_list("group", flat=True)) == [group.pk]


def test_a_foreign_group_cannot_be_joined(client, tenant, admin):
    other_tenant = make_tenant()
    foreign = create(other_tenant, make_user(other_tenant, roles=[GROUPS_ADMIN]))
    pat = make_user(tenant, "pat")
    sign_in(client, admin)
    assert_not_found(client.post(f"/users/{pat.pk}/groups/join/", {"groups": [foreign.pk]}))
    assert not Membership.objects.filter(user=pat).exists()


def test_helpdesk_sees_but_cannot_change_a_users_groups(client, tenant, admin):
    group = create(tenant, admin)
    pat = make_user(tenant, "pat")
    sign_in(client, make_user(tenant, roles=[HELPDESK_ADMIN]))
    assert 'data-testid="user-groups"' in client.get(f"/users/{pat.pk}/").content.decode()
    assert_forbidden(client.post(f"/users/{pat.pk}/groups/join/", {"groups": [group.pk]}))


def test_settings_change_address_privacy_and_external_senders(client, tenant, admin, domain):
    team = create(tenant, admin)
    dist = create(tenant, admin, "distribution", name="News", email=f"news@{domain}")
    make_user(tenant, "taken")
    sign_in(client, admin)
    client.post(
        f"/groups/{team.pk}/",
        {"action": "settings", "local_part": "sales-team", "domain": domain, "privacy": "public"},
    )
    team.refresh_from_db()
    assert (team.email, team.privacy) == (f"sales-team@{domain}", "public")
    response = client.post(
        f"/groups/{team.pk}/",
        {"action": "settings", "local_part": "taken", "domain": domain, "privacy": "public"},
    )
    assert "in use by a user or a group" in client.get(response.url).content.decode()
    client.post(
        f"/groups/{dist.pk}/",
        {
            "action": "settings",
            "local_part": "news",
            "domain": domain,
            "allow_external_senders": "on",
        },
    )
    dist.refresh_from_db()
    assert dist.allow_external_senders
    event = AuditEvent.objects.filter(action="group.change", target_id=str(dist.pk)).get()
    assert event.old_values == {"allow_external_senders": False}


def test_a_membership_rule_is_previewed_saved_and_kept_in_sync(client, tenant, admin, domain):
    group = create(tenant, admin, "security", name="Sales people")
    ann = make_user(tenant, "ann", display_name="Ann", department="Sales")
    make_user(tenant, "bob", display_name="Bob", department="Sales EMEA")
    carl = make_user(tenant, "carl", display_name="Carl", department="Support")
    sign_in(client, admin)
    preview = client.get(
        f"/groups/{group.pk}/",
        {"preview_field": "department", "preview_op": "startswith", "preview_value": "sales"},
    ).content.decode()
    section = preview[preview.index('data-testid="rule-preview"') :]
    section = section[: section.index("</div>")]
    assert "2 users match." in section and "Ann" in section and "Carl" not in section
    assert not Membership.objects.filter(group=group).exists()  # a preview saves nothing
    client.post(
        f"/groups/{group.pk}/",
        {"action": "rule_save", "field": "department", "op": "equals", "value": "Sales"},
    )
    members = Membership.objects.filter(group=group, role="member")
    assert list(members.values_list("user", flat=True)) == [ann.pk]
    # A user's department changes: the group follows.
    boss = make_user(tenant, "boss", roles=[GLOBAL_ADMIN])
    user_services.user_update(tenant=tenant, acting_user=boss, user=carl, department="sales")
    user_services.user_update(tenant=tenant, acting_user=boss, user=ann, department="Marketing")
    assert list(members.values_list("user", flat=True)) == [carl.pk]
    # Members follow the rule: not added by hand.
    response = client.post(f"/groups/{group.pk}/", {"action": "add_member", "users": [ann.pk]})
    assert "follow its rule" in client.get(response.url).content.decode()
    client.post(f"/groups/{group.pk}/", {"action": "rule_remove"})
    assert Group.objects.get(pk=group.pk).membership_rule is None
    assert AuditEvent.objects.filter(action="group.rule").count() == 2


def test_team_groups_have_no_rules(tenant, admin):
    group = create(tenant, admin)
    with pytest.raises(ValidationError) as caught:
        services.group_rule_set(
            tenant=tenant,
            acting_user=admin,
            group=group,
            rule={"field": "department", "op": "equals", "value": "x"},
        )
    assert caught.value.code == "rule_kind"


@pytest.mark.parametrize(
    "rule",
    [
        {"field": "password", "op": "equals", "value": "x"},
        {"field": "department", "op": "regex", "value": "x"},
        {"field": "department", "op": "equals", "value": "  "},
    ],
)
def test_bad_rules_are_refused(tenant, admin, rule):
    group = create(tenant, admin, "security", name="S")
    with pytest.raises(ValidationError):
        services.group_rule_set(tenant=tenant, acting_user=admin, group=group, rule=rule)


def test_imported_users_join_rule_groups(tenant, admin, domain):
    from users import services as users_services
    from users.csv_import import UserRow

    group = create(tenant, admin, "security", name="Sales people")
    services.group_rule_set(
        tenant=tenant,
        acting_user=admin,
        group=group,
        rule={"field": "department", "op": "equals", "value": "Sales"},
    )
    boss = make_user(tenant, "boss", roles=[GLOBAL_ADMIN])
    rows = [
        UserRow(row=2, username=f"new{n}@{domain}", display_name=f"New {n}", department="Sales")
        for n in range(3)
    ]
    users_services.users_import(tenant=tenant, acting_user=boss, rows=rows)
    assert Membership.objects.filter(group=group, role="member").count() == 3
