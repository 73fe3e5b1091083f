"""The API's groups: list, read, create, change, delete and restore; owners and members."""

from datetime import datetime
from typing import Any, Literal

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from accounts.models import User
from accounts.roles import VIEW_GROUPS
from accounts.selectors import users_reachable_in
from api.rest.base import (
    ERRORS,
    MAX_LIMIT,
    WRITE_ERRORS,
    Problem,
    cursor_after,
    cursor_of,
    problem,
    require,
    stale,
    tagged,
)
from groups import selectors as group_selectors
from groups import services as group_services
from groups.models import Group, Kind, Membership
from groups.models import Privacy as GroupPrivacy

router = Router(tags=["groups"])


class GroupOut(Schema):
    id: int
    kind: str = Field(description="team, distribution, mail_security, security or shared_mailbox.")
    name: str
    description: str
    email: str
    privacy: str
    allow_external_senders: bool
    created: datetime

    @staticmethod
    def of(group: Group) -> "GroupOut":
        return GroupOut(
            id=group.pk,
            kind=group.kind,
            name=group.name,
            description=group.description,
            email=group.email,
            privacy=group.privacy,
            allow_external_senders=group.allow_external_senders,
            created=group.created_at,
        )


class GroupPage(Schema):
    items: list[GroupOut]
    next_cursor: str | None


class GroupQuery(Schema):
    limit: int = Field(100, ge=1, le=MAX_LIMIT)
    cursor: str = Field("", max_length=40)


def _group(request: HttpRequest, group_id: int, *, deleted: bool = False) -> Group:
    return group_selectors.access_group_by_id(request.actor, group_id, deleted=deleted)


def _tagged(response: HttpResponse, group: Group) -> GroupOut:
    return tagged(response, GroupOut.of(group))


@router.get("/groups", response={200: GroupPage, **ERRORS}, summary="List the groups")
def list_groups(request: HttpRequest, page: Query[GroupQuery]) -> Any:
    """The organization's groups by id, a page at a time."""
    require(request, VIEW_GROUPS)
    rows = list(
        group_selectors.groups_reachable(request.actor)
        .filter(pk__gt=cursor_after(page.cursor))
        .order_by("pk")[: page.limit + 1]
    )
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    return GroupPage(
        items=[GroupOut.of(group) for group in rows],
        next_cursor=cursor_of(rows[-1].pk) if more else None,
    )


@router.get(
    "/groups/{group_id}", response={200: GroupOut, 404: Problem, **ERRORS}, summary="Get a group"
)
def get_group(request: HttpRequest, response: HttpResponse, group_id: int) -> Any:
    """One group, with an `ETag` for `If-Match` on a change."""
    require(request, VIEW_GROUPS)
    return _tagged(response, _group(request, group_id))


def _people(request: HttpRequest, ids: list[int]) -> list[User]:
    """The organization's active users ``ids``, in one read; one that is not is 404, as in a URL."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    if any(not 0 < pk < 2**63 for pk in wanted):
        raise Http404
    found = {user.pk: user for user in users_reachable_in(request.tenant.pk).filter(pk__in=wanted)}
    if len(found) != len(wanted):
        raise Http404
    return [found[pk] for pk in wanted]


GroupKind = Literal[tuple(Kind.values)]  # type: ignore[valid-type]
Privacy = Literal[("", *GroupPrivacy.values)]  # type: ignore[valid-type]


class GroupCreateIn(Schema):
    kind: GroupKind
    name: str = Field(max_length=120)
    description: str = Field("", max_length=1000)
    email: str = Field("", max_length=254, description="For the kinds that have an address.")
    privacy: Privacy = Field("", description="For team groups.")
    allow_external_senders: bool = False
    owners: list[int] = Field(default_factory=list, description="User ids.")
    members: list[int] = Field(default_factory=list, description="User ids.")


@router.post("/groups", response={201: GroupOut, **WRITE_ERRORS}, summary="Create a group")
def create_group(request: HttpRequest, body: GroupCreateIn) -> Any:
    group = group_services.group_create(
        tenant=request.tenant,
        acting_user=request.actor,
        kind=body.kind,
        name=body.name,
        description=body.description,
        email=body.email,
        privacy=body.privacy,
        allow_external_senders=body.allow_external_senders,
        owners=_people(request, body.owners),
        members=_people(request, body.members),
        request=request,
    )
    return Status(201, GroupOut.of(group))


class GroupChangeIn(Schema):
    name: str | None = Field(None, max_length=120)
    description: str | None = Field(None, max_length=1000)
    email: str | None = Field(None, max_length=254)
    privacy: Privacy | None = None
    allow_external_senders: bool | None = None


@router.patch(
    "/groups/{group_id}",
    response={200: GroupOut, 412: Problem, **WRITE_ERRORS},
    summary="Change a group",
)
def change_group(
    request: HttpRequest, response: HttpResponse, group_id: int, body: GroupChangeIn
) -> Any:
    """Change the fields given. With `If-Match`, only if the group is as that `ETag` says."""
    require(request, VIEW_GROUPS)
    group = _group(request, group_id)
    if stale(request, GroupOut.of(group)):
        return problem(412, _("Changed since you read it"), _("Read the group again."))
    group_services.group_update(
        tenant=request.tenant,
        acting_user=request.actor,
        group=group,
        request=request,
        **body.model_dump(exclude_none=True),
    )
    return _tagged(response, _group(request, group_id))


@router.delete(
    "/groups/{group_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Delete a group (restorable for 30 days)",
)
def delete_group(request: HttpRequest, group_id: int) -> Any:
    require(request, VIEW_GROUPS)
    group_services.groups_delete(
        tenant=request.tenant,
        acting_user=request.actor,
        groups=[_group(request, group_id)],
        request=request,
    )
    return Status(204, None)


class GroupRestoreIn(Schema):
    email: str | None = Field(None, max_length=254, description="If the old address is taken.")


@router.post(
    "/deleted-groups/{group_id}/restore",
    response={200: GroupOut, **WRITE_ERRORS},
    summary="Restore a deleted group",
)
def restore_group(request: HttpRequest, group_id: int, body: GroupRestoreIn) -> Any:
    require(request, VIEW_GROUPS)
    group = group_services.group_restore(
        tenant=request.tenant,
        acting_user=request.actor,
        group=_group(request, group_id, deleted=True),
        email=body.email,
        request=request,
    )
    return GroupOut.of(group)


class PersonOut(Schema):
    id: int
    username: str
    display_name: str


ROLES = {"owners": Membership.Role.OWNER, "members": Membership.Role.MEMBER}


class PeopleIn(Schema):
    users: list[int] = Field(description="User ids.")


def _people_route(role_name: str) -> None:
    role = ROLES[role_name]

    @router.get(
        f"/groups/{{group_id}}/{role_name}",
        response={200: list[PersonOut], 404: Problem, **ERRORS},
        summary=f"List the group's {role_name}",
        url_name=f"group_{role_name}",
        operation_id=f"list_group_{role_name}",
    )
    def listed(request: HttpRequest, group_id: int) -> Any:
        require(request, VIEW_GROUPS)
        people = group_selectors.group_people(
            tenant=request.tenant, group=_group(request, group_id), role=role
        )
        return [
            PersonOut(id=p.pk, username=p.username, display_name=p.display_name) for p in people
        ]

    @router.post(
        f"/groups/{{group_id}}/{role_name}",
        response={204: None, **WRITE_ERRORS},
        summary=f"Add {role_name} to the group",
        url_name=f"group_{role_name}_add",
        operation_id=f"add_group_{role_name}",
    )
    def added(request: HttpRequest, group_id: int, body: PeopleIn) -> Any:
        require(request, VIEW_GROUPS)
        group_services.group_people_add(
            tenant=request.tenant,
            acting_user=request.actor,
            group=_group(request, group_id),
            users=_people(request, body.users),
            role=role,
            request=request,
        )
        return Status(204, None)

    @router.delete(
        f"/groups/{{group_id}}/{role_name}/{{user_id}}",
        response={204: None, **WRITE_ERRORS},
        summary=f"Remove one of the group's {role_name}",
        url_name=f"group_{role_name}_remove",
        operation_id=f"remove_group_{role_name}",
    )
    def removed(request: HttpRequest, group_id: int, user_id: int) -> Any:
        require(request, VIEW_GROUPS)
        group_services.group_people_remove(
            tenant=request.tenant,
            acting_user=request.actor,
            group=_group(request, group_id),
            users=_people(request, [user_id]),
            role=role,
            request=request,
        )
        return Status(204, None)


for _role_name in ROLES:
    _people_route(_role_name)
