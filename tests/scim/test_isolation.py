"""SCIM never reaches another organization: its ids are 404, its people no members.

Every SCIM route that takes an id (read from ``scim.urls``, so a route added
later is swept without being listed here) answers a client of one organization
404 for the ids of another organization's user or group, with every method it
takes, and changes nothing there. A route whose id this sweep cannot fill fails
the test. Filters that name another organization's user find nothing, and a
group can't be given another organization's user as a member.
"""

from urllib.parse import quote

import pytest
from django.urls import path, reverse

from accounts.models import AddressClaim, AuditEvent, RoleAssignment, User
from groups.models import Group, Kind, Membership
from scim import urls as scim_urls
from scim import views
from tests.factories import make_user
from tests.scim.helpers import GROUP_SCHEMA, USER_SCHEMA, body, error, patch, scim, scim_secret

pytestmark = pytest.mark.django_db

# Route parameters that are not an organization's object: a schema's or a
# resource type's name, and the rest of an unknown address.
NOT_IDS = {"name", "rest"}


def _user_body(user):
    return {"schemas": [USER_SCHEMA], "userName": user.username, "title": "Changed"}


# A body each method of a route accepts for the organization's own object, so that
# only the id can make it fail. Keyed by (route name, method).
BODIES = {
    ("user", "put"): _user_body,
    ("user", "patch"): lambda _user: patch({"op": "replace", "path": "title", "value": "Changed"}),
    ("group", "put"): lambda _group: {"schemas": [GROUP_SCHEMA], "displayName": "Changed"},
    ("group", "patch"): lambda _group: patch(
        {"op": "replace", "path": "displayName", "value": "Changed"}
    ),
}


# The kind of object a route's id names, by where the route is.
KINDS = {"Users/": "user", "Groups/": "group"}


def _id_routes():
    """``(route name, id parameter, kind, view methods)`` of every SCIM route taking an id."""
    routes = []
    for pattern in scim_urls.urlpatterns:
        parameters = set(pattern.pattern.regex.groupindex) - NOT_IDS
        if not parameters:
            continue
        route = str(pattern.pattern)
        kind = next((k for prefix, k in KINDS.items() if route.startswith(prefix)), None)
        assert kind, f"no id of the other organization for the SCIM route {route}"
        assert pattern.name, f"a SCIM route with an id has no name: {route}"
        assert len(parameters) == 1, f"no sweep for several ids: {route}"
        view = pattern.callback.view_class
        methods = [m for m in view.http_method_names if m not in ("head", "options")]
        methods = [m for m in methods if hasattr(view, m)]
        routes.append((pattern.name, parameters.pop(), kind, methods))
    return routes


def test_a_route_added_later_with_an_id_is_swept(monkeypatch):
    later = path("Users/<str:pk>/manager", views.UserView.as_view(), name="user_manager")
    monkeypatch.setattr(scim_urls, "urlpatterns", [*scim_urls.urlpatterns, later])
    assert ("user_manager", "pk", "user", ["get", "put", "patch", "delete"]) in _id_routes()
    assert {name for name, *_rest in _id_routes()} == {"user", "group", "user_manager"}


def _snapshot(tenant):
    return (
        sorted(User.objects.filter(tenant=tenant).values_list()),
        sorted(Group.objects.filter(tenant=tenant).values_list()),
        sorted(Membership.objects.filter(group__tenant=tenant).values_list()),
        sorted(RoleAssignment.objects.filter(tenant=tenant).values_list()),
        sorted(AddressClaim.objects.filter(tenant=tenant).values_list()),
        AuditEvent.objects.filter(tenant=tenant).count(),
    )


def _security_group(tenant, name, members=()):
    group = Group.objects.create(
        tenant=tenant, kind=Kind.SECURITY, name=name, external_id=f"{name}-ext"
    )
    for person in members:
        Membership.objects.create(
            tenant=tenant, group=group, user=person, role=Membership.Role.MEMBER
        )
    return group


@pytest.fixture
def theirs(other_tenant):
    """The other organization's user, and its security group with that user as a member."""
    person = make_user(other_tenant, "theirs", display_name="Their Person", external_id="t-1")
    group = _security_group(other_tenant, "Theirs", [person])
    return {"user": person, "group": group}


def _scim_id(kind, obj):
    return str(obj.pk) if kind == "user" else f"g{obj.pk}"


def _own(tenant, kind):
    """A new object of ``kind`` of the client's own organization."""
    if kind == "user":
        return make_user(tenant)
    return _security_group(tenant, f"Ours {Group.objects.count()}", [make_user(tenant)])


def test_every_route_with_an_id_is_404_for_another_organizations_ids(
    client, tenant, other_tenant, theirs
):
    secret = scim_secret(tenant)
    before = _snapshot(other_tenant)
    swept = []
    for name, parameter, kind, methods in _id_routes():
        assert methods, name
        for method in methods:
            make_body = BODIES.get((name, method))
            # The same call on the organization's own object works: only the id differs.
            own = _own(tenant, kind)
            url = reverse(f"scim:{name}", kwargs={parameter: _scim_id(kind, own)})
            response = scim(
                client,
                method,
                url.removeprefix("/scim/v2"),
                secret,
                make_body(own) if make_body else None,
            )
            # A new route whose own call fails here needs its body in BODIES.
            assert response.status_code in (200, 204), (method, url, response.content)

            other = theirs[kind]
            url = reverse(f"scim:{name}", kwargs={parameter: _scim_id(kind, other)})
            response = scim(
                client,
                method,
                url.removeprefix("/scim/v2"),
                secret,
                make_body(other) if make_body else None,
            )
            error(response, 404)
            swept.append((method, name))
    assert {("get", "user"), ("delete", "user"), ("patch", "group"), ("put", "group")} <= set(
        swept
    ), swept
    assert len(swept) >= 8, swept
    assert _snapshot(other_tenant) == before


def _found(client, secret, kind, text):
    """The ids a filter finds, by GET and by each POST .search that covers ``kind``."""
    endpoint = "/Users" if kind == "user" else "/Groups"
    search = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": text}
    answers = [
        body(scim(client, "get", f"{endpoint}?filter={quote(text)}", secret), 200),
        body(scim(client, "post", f"{endpoint}/.search", secret, search), 200),
        body(scim(client, "post", "/.search", secret, search), 200),
    ]
    found = []
    for answer in answers:
        assert answer["totalResults"] == len(answer["Resources"]), answer
        found.append(sorted(resource["id"] for resource in answer["Resources"]))
    return found


def test_filters_naming_another_organizations_user_find_nothing(client, tenant, theirs):
    secret = scim_secret(tenant)
    ours = make_user(tenant, "ours")
    our_group = _security_group(tenant, "Ours", [ours])
    their_user, their_group = theirs["user"], theirs["group"]
    cases = [
        ("user", f'userName eq "{their_user.username}"', []),
        ("user", f'userName eq "{their_user.username.upper()}"', []),
        ("user", f'userName sw "{their_user.username.split("@")[0]}"', []),
        ("user", f'id eq "{their_user.pk}"', []),
        ("user", 'externalId eq "t-1"', []),
        ("user", 'displayName eq "Their Person"', []),
        ("group", f'members[value eq "{their_user.pk}"]', []),
        ("group", f'members.value eq "{their_user.pk}"', []),
        ("group", f'members eq "{their_user.pk}"', []),
        ("group", f'id eq "g{their_group.pk}"', []),
        ("group", 'displayName eq "Theirs"', []),
        # The same filters find the organization's own: the ones above are not vacuous.
        ("user", f'userName eq "{ours.username}"', [str(ours.pk)]),
        ("user", f'id eq "{ours.pk}"', [str(ours.pk)]),
        ("group", f'members[value eq "{ours.pk}"]', [f"g{our_group.pk}"]),
        ("group", f'id eq "g{our_group.pk}"', [f"g{our_group.pk}"]),
    ]
    for kind, text, expected in cases:
        assert _found(client, secret, kind, text) == [expected] * 3, text


def _members(group):
    return sorted(
        Membership.objects.filter(group=group, role=Membership.Role.MEMBER).values_list(
            "user_id", flat=True
        )
    )


def test_another_organizations_user_is_never_made_a_member(client, tenant, other_tenant, theirs):
    secret = scim_secret(tenant)
    ours = make_user(tenant, "ours")
    group = _security_group(tenant, "Ours", [ours])
    their = str(theirs["user"].pk)
    ref = f"http://testserver/scim/v2/Users/{their}"
    address = f"/Groups/g{group.pk}"
    refused = [
        ("patch", address, patch({"op": "add", "path": "members", "value": [{"value": their}]})),
        ("patch", address, patch({"op": "Add", "path": "members", "value": [{"$ref": ref}]})),
        ("patch", address, patch({"op": "add", "value": {"members": [{"value": their}]}})),
        (
            "patch",
            address,
            patch(
                {"op": "replace", "path": "members", "value": [{"value": str(ours.pk)}]},
                {"op": "add", "path": "members", "value": [{"value": their}]},
            ),
        ),
        (
            "put",
            address,
            {"schemas": [GROUP_SCHEMA], "displayName": "Ours", "members": [{"value": their}]},
        ),
        (
            "post",
            "/Groups",
            {"schemas": [GROUP_SCHEMA], "displayName": "New", "members": [{"value": their}]},
        ),
    ]
    before = (_snapshot(tenant), _snapshot(other_tenant))
    for method, url, data in refused:
        error(scim(client, method, url, secret, data), 400, "invalidValue")
        assert (_snapshot(tenant), _snapshot(other_tenant)) == before, (method, data)
    assert _members(group) == [ours.pk]
    assert not Group.objects.filter(tenant=tenant, name="New").exists()
