"""A group's page: general, settings and the membership rule, each saved at its own URL."""

import pytest

from accounts.models import AuditEvent
from accounts.roles import GLOBAL_ADMIN, GLOBAL_READER, HELPDESK_ADMIN
from groups.models import Group, Membership
from tests.factories import make_user
from tests.groups.factories import make_group
from tests.helpers import assert_forbidden, assert_not_found, sign_in
from users import services as user_services

pytestmark = pytest.mark.django_db


def test_the_general_section_saves_name_and_description(client, tenant, groups_admin):
    group = make_group(tenant, groups_admin)
    sign_in(client, groups_admin)
    response = client.post(
        f"/groups/{group.pk}/general/", {"name": "Sales team", "description": "Deals"}
    )
    assert response.url == f"/groups/{group.pk}/"
    group.refresh_from_db()
    assert (group.name, group.description) == ("Sales team", "Deals")
    assert "The group was saved." in client.get(response.url).content.decode()


def test_a_bad_general_form_is_shown_with_its_errors(client, tenant, groups_admin):
    group = make_group(tenant, groups_admin)
    sign_in(client, groups_admin)
    response = client.post(f"/groups/{group.pk}/general/", {"name": "", "description": ""})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert Group.objects.get(pk=group.pk).name == "Sales"


def test_settings_change_address_privacy_and_external_senders(client, tenant, groups_admin, domain):
    team = make_group(tenant, groups_admin)
    dist = make_group(tenant, groups_admin, "distribution", name="News", email=f"news@{domain}")
    make_user(tenant, "taken")
    sign_in(client, groups_admin)
    client.post(
        f"/groups/{team.pk}/settings/",
        {"local_part": "sales-team", "domain": domain, "privacy": "public"},
    )
    team.refresh_from_db()
    assert (team.email, team.privacy) == (f"sales-team@{domain}", "public")
    response = client.post(
        f"/groups/{team.pk}/settings/",
        {"local_part": "taken", "domain": domain, "privacy": "public"},
    )
    assert response.status_code == 200
    assert "in use by a user or a group" in response.content.decode()
    assert Group.objects.get(pk=team.pk).email == f"sales-team@{domain}"
    client.post(
        f"/groups/{dist.pk}/settings/",
        {"local_part": "news", "domain": domain, "allow_external_senders": "on"},
    )
    dist.refresh_from_db()
    assert dist.allow_external_senders
    event = AuditEvent.objects.filter(action="group.change", target_id=str(dist.pk)).get()
    assert event.old_values == {"allow_external_senders": False}


@pytest.mark.parametrize(
    "body",
    [
        {"local_part": "x", "domain": "not-ours.example", "privacy": "public"},
        {"local_part": "", "domain": "", "privacy": "public"},
        {"local_part": "x", "privacy": "secret"},
    ],
)
def test_bad_settings_are_shown_and_change_nothing(client, tenant, groups_admin, domain, body):
    team = make_group(tenant, groups_admin)
    body = {"domain": domain, **body}
    sign_in(client, groups_admin)
    response = client.post(f"/groups/{team.pk}/settings/", body)
    assert response.status_code == 200 and "field-error" in response.content.decode()
    assert Group.objects.get(pk=team.pk).email == f"sales@{tenant.domain_set.get().name}"


def test_a_membership_rule_is_previewed_saved_and_kept_in_sync(
    client, tenant, groups_admin, domain
):
    group = make_group(tenant, groups_admin, "security", name="Sales people")
    ann = make_user(tenant, "ann", display_name="Ann", department="Sales")
    make_user(tenant, "bob", display_name="Bob", department="Sales EMEA")
    carl = make_user(tenant, "carl", display_name="Carl", department="Support")
    sign_in(client, groups_admin)
    preview = client.get(
        f"/groups/{group.pk}/",
        {"preview_field": "department", "preview_op": "startswith", "preview_value": "sales"},
    ).content.decode()
    section = preview[preview.index('data-testid="rule-preview"') :]
    section = section[: section.index("</div>")]
    assert "2 users match." in section and "Ann" in section and "Carl" not in section
    assert not Membership.objects.filter(group=group).exists()  # a preview saves nothing
    client.post(
        f"/groups/{group.pk}/rule/", {"field": "department", "op": "equals", "value": "Sales"}
    )
    members = Membership.objects.filter(group=group, role="member")
    assert list(members.values_list("user", flat=True)) == [ann.pk]
    # A user's department changes: the group follows.
    boss = make_user(tenant, "boss", roles=[GLOBAL_ADMIN])
    user_services.user_update(tenant=tenant, acting_user=boss, user=carl, department="sales")
    user_services.user_update(tenant=tenant, acting_user=boss, user=ann, department="Marketing")
    assert list(members.values_list("user", flat=True)) == [carl.pk]
    # Members follow the rule: not added by hand.
    response = client.post(f"/groups/{group.pk}/members/add/", {"users": [ann.pk]})
    assert "follow its rule" in client.get(response.url).content.decode()
    client.post(f"/groups/{group.pk}/rule/remove/")
    assert Group.objects.get(pk=group.pk).membership_rule is None
    assert AuditEvent.objects.filter(action="group.rule").count() == 2


@pytest.mark.parametrize(
    "body",
    [
        {"field": "password", "op": "equals", "value": "x"},
        {"field": "department", "op": "regex", "value": "x"},
        {"field": "department", "op": "equals", "value": "  "},
    ],
)
def test_a_bad_rule_is_reported_and_saves_nothing(client, tenant, groups_admin, body):
    group = make_group(tenant, groups_admin, "security", name="S")
    sign_in(client, groups_admin)
    response = client.post(f"/groups/{group.pk}/rule/", body)
    page = client.get(response.url).content.decode()
    assert "Choose a property, a comparison and a value." in page
    assert Group.objects.get(pk=group.pk).membership_rule is None
    preview = client.get(
        f"/groups/{group.pk}/",
        {"preview_field": body["field"], "preview_op": body["op"], "preview_value": body["value"]},
    ).content.decode()
    assert "Choose a property, a comparison and a value." in preview


def test_a_team_group_gets_no_rule(client, tenant, groups_admin):
    group = make_group(tenant, groups_admin)
    sign_in(client, groups_admin)
    response = client.post(
        f"/groups/{group.pk}/rule/", {"field": "department", "op": "equals", "value": "x"}
    )
    assert "can have a membership rule" in client.get(response.url).content.decode()
    assert Group.objects.get(pk=group.pk).membership_rule is None


CHANGES = [
    ("general/", {"name": "X", "description": ""}),
    ("settings/", {"local_part": "x", "privacy": "public"}),
    ("rule/", {"field": "department", "op": "equals", "value": "x"}),
    ("rule/remove/", {}),
    ("owners/add/", {}),
    ("owners/remove/", {}),
    ("members/add/", {}),
    ("members/remove/", {}),
    ("delete/", {}),
]


@pytest.mark.parametrize(("path", "body"), CHANGES)
@pytest.mark.parametrize("role", [GLOBAL_READER, HELPDESK_ADMIN])
def test_readers_see_the_page_and_change_nothing(client, tenant, groups_admin, role, path, body):
    group = make_group(tenant, groups_admin, "security", name="Laptops")
    pat = make_user(tenant, "pat")
    body = {**body, "users": [pat.pk]} if "users" not in body and "/" in path[:-1] else body
    sign_in(client, make_user(tenant, roles=[role]))
    page = client.get(f"/groups/{group.pk}/").content.decode()
    assert "Laptops" in page and "/general/" not in page and "/members/add/" not in page
    before = AuditEvent.objects.count()
    assert_forbidden(client.post(f"/groups/{group.pk}/{path}", body))
    assert AuditEvent.objects.count() == before
    assert Group.objects.get(pk=group.pk).name == "Laptops"


@pytest.mark.parametrize(("path", "body"), [("", {}), *CHANGES])
def test_another_organizations_group_is_404(client, groups_admin, foreign_group, path, body):
    sign_in(client, groups_admin)
    assert_not_found(client.get(f"/groups/{foreign_group.pk}/{path}"))
    if path:
        assert_not_found(client.post(f"/groups/{foreign_group.pk}/{path}", body))
    foreign_group.refresh_from_db()
    assert (foreign_group.name, foreign_group.deleted_at) == ("Foreign", None)
    assert not Membership.objects.filter(group=foreign_group).exists()


def test_a_deleted_group_has_no_page(client, tenant, groups_admin):
    group = make_group(tenant, groups_admin)
    sign_in(client, groups_admin)
    client.post(f"/groups/{group.pk}/delete/")
    assert_not_found(client.get(f"/groups/{group.pk}/"))
    assert_not_found(client.post(f"/groups/{group.pk}/general/", {"name": "X"}))
