"""The API's users: list, read, add, change, block, delete, restore, passwords, roles, licenses."""

import functools
import json
from datetime import datetime
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.responses import NinjaJSONEncoder

from accounts.models import ROLE_CODES_ANNOTATION, User
from accounts.roles import ROLES, VIEW_USERS
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
from billing import selectors as billing_selectors
from billing import services as billing_services
from core import pagecache
from core.aggregates import split_text_list
from core.prepared import PreparedQuery
from users import selectors as user_selectors
from users import services as user_services

router = Router(tags=["users"])

# The role codes, as the schema's choices.
RoleCode = Literal[tuple(ROLES)]  # type: ignore[valid-type]
RoleFilter = Literal[("", user_selectors.ANY_ROLE, user_selectors.NO_ROLE, *ROLES)]  # type: ignore[valid-type]


class UserOut(Schema):
    id: int
    username: str = Field(description="The sign-in name.")
    display_name: str
    first_name: str
    last_name: str
    job_title: str
    department: str
    office: str
    sign_in_blocked: bool
    roles: list[str] = Field(description="Role codes, as on the Roles page.")
    created: datetime
    last_sign_in: datetime | None

    @staticmethod
    def of(user: User) -> "UserOut":
        return UserOut(
            roles=sorted(user.role_codes),
            id=user.pk,
            username=user.username,
            display_name=user.display_name,
            first_name=user.first_name,
            last_name=user.last_name,
            job_title=user.job_title,
            department=user.department,
            office=user.office,
            sign_in_blocked=user.is_sign_in_blocked,
            created=user.date_joined,
            last_sign_in=user.last_login,
        )


class UserPage(Schema):
    items: list[UserOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


class UserQuery(Schema):
    q: str = Field("", max_length=user_selectors.SEARCH_MAX_LENGTH, description="Search text.")
    status: Literal["", "allowed", "blocked"] = ""
    role: RoleFilter = Field("", description="A role code, `any` (any role) or `none`.")
    license: Literal["", "licensed", "unlicensed"] = ""
    limit: int = Field(100, ge=1, le=MAX_LIMIT)
    cursor: str = Field("", max_length=40)


@router.get(
    "/users",
    response={200: UserPage, **ERRORS},
    tags=["users"],
    summary="List the organization's active users",
)
def list_users(request: HttpRequest, filters: Query[UserQuery]) -> Any:
    """Active users by id, a page at a time, with the Active users page's search and filters."""
    require(request, VIEW_USERS)
    params = {
        name: getattr(filters, name)
        for name in ("q", "status", "role", "license")
        if getattr(filters, name)
    }
    after = cursor_after(filters.cursor)
    if params:
        user_filter = user_selectors.UserFilter(params, tenant=request.tenant)
        if not user_filter.is_valid():
            errors = [
                {"field": field, "detail": str(message)}
                for field, messages in user_filter.errors.items()
                for message in messages
            ]
            return problem(422, _("Invalid input"), errors=errors)
        rows = list(_page_of(user_filter.qs, after)[: filters.limit + 1])
        return _json_page(rows, filters.limit)
    # The whole list, a page at a time: its read compiled once per page size, and the
    # page kept until the organization changes (any change, or a sign-in: last_login).
    tenant_id, size = request.tenant.pk, filters.limit

    def read() -> bytes:
        return _json_page(_unfiltered_page(size + 1)(tenant=tenant_id, after=after), size).content

    if not pagecache.cache_seconds():
        content = read()
    else:
        content = pagecache.organization_cached(
            tenant_id,
            f"api:users:{size}:{after}",
            read,
            timeout=pagecache.cache_seconds(),
            scope=pagecache.EVENTS,
        )
    return HttpResponse(content, content_type="application/json")


def _json_page(rows: list[tuple[Any, ...]], limit: int) -> HttpResponse:
    """A page of ``rows`` (one more than ``limit`` when there are more) as UserPage's JSON."""
    more = len(rows) > limit
    rows = rows[:limit]
    page = {
        "items": [_row_json(row) for row in rows],
        "next_cursor": cursor_of(rows[-1][0]) if more else None,
    }
    return HttpResponse(json.dumps(page, cls=NinjaJSONEncoder), content_type="application/json")


def _page_of(users: QuerySet[User], after: int) -> QuerySet:
    """``users`` after the id ``after``, by id, as rows of ``_ROW_FIELDS``."""
    return users.with_role_codes().filter(pk__gt=after).order_by("pk").values_list(*_ROW_FIELDS)


@functools.cache
def _unfiltered_page(size: int) -> PreparedQuery:
    return PreparedQuery(
        lambda tenant, after: _page_of(users_reachable_in(tenant), after)[:size],
        tenant=int,
        after=int,
    )


# The columns of a user as the API gives them, in UserOut's order.
_ROW_FIELDS = (
    "id",
    "username",
    "display_name",
    "first_name",
    "last_name",
    "job_title",
    "department",
    "office",
    "is_sign_in_blocked",
    ROLE_CODES_ANNOTATION,
    "date_joined",
    "last_login",
)
_ROW_KEYS = tuple(UserOut.model_fields)
_ROLES_AT = _ROW_FIELDS.index(ROLE_CODES_ANNOTATION)


def _row_json(row: tuple[Any, ...]) -> dict[str, Any]:
    values = list(row)
    values[_ROLES_AT] = sorted(split_text_list(values[_ROLES_AT]))
    return dict(zip(_ROW_KEYS, values, strict=True))


def _user(request: HttpRequest, user_id: int, *, deleted: bool = False) -> User:
    """The organization's (active or deleted) user ``user_id``, read afresh, or 404."""
    return user_selectors.access_user_by_id(request.actor, user_id, deleted=deleted)


def _tagged(response: HttpResponse, user: User) -> UserOut:
    return tagged(response, UserOut.of(user))


@router.get(
    "/users/{user_id}",
    response={200: UserOut, 404: Problem, **ERRORS},
    tags=["users"],
    summary="Get an active user",
)
def get_user(request: HttpRequest, response: HttpResponse, user_id: int) -> Any:
    """One active user of the organization, with an `ETag` for `If-Match` on a change.

    Another organization's id is 404, as a missing one.
    """
    require(request, VIEW_USERS)
    return _tagged(response, _user(request, user_id))


class UserCreateIn(Schema):
    username: str = Field(max_length=254, description="The sign-in name, in a verified domain.")
    display_name: str = Field(max_length=256)
    first_name: str = Field("", max_length=150)
    last_name: str = Field("", max_length=150)
    job_title: str = Field("", max_length=128)
    department: str = Field("", max_length=128)
    office: str = Field("", max_length=128)
    roles: list[RoleCode] = Field(default_factory=list, description="Role codes to give.")
    licenses: list[int] = Field(
        default_factory=list, description="Ids of subscriptions whose license to give."
    )


class UserCreated(Schema):
    user: UserOut
    temporary_password: str = Field(
        description="Shown only in this answer; to be changed at the first sign-in."
    )


@router.post(
    "/users",
    response={201: UserCreated, **WRITE_ERRORS},
    tags=["users"],
    summary="Add a user",
)
def create_user(request: HttpRequest, body: UserCreateIn) -> Any:
    """Add a user with a generated password (changed at their first sign-in)."""
    subscriptions = [
        billing_selectors.access_live_subscription_by_id(request.actor, pk) for pk in body.licenses
    ]
    user, password = user_services.user_create(
        tenant=request.tenant,
        acting_user=request.actor,
        username=body.username,
        display_name=body.display_name,
        first_name=body.first_name,
        last_name=body.last_name,
        roles=body.roles,
        subscriptions=subscriptions,
        profile={
            "job_title": body.job_title,
            "department": body.department,
            "office": body.office,
        },
        request=request,
    )
    return Status(
        201, UserCreated(user=UserOut.of(_user(request, user.pk)), temporary_password=password)
    )


class UserChangeIn(Schema):
    first_name: str | None = Field(None, max_length=150)
    last_name: str | None = Field(None, max_length=150)
    display_name: str | None = Field(None, max_length=256)
    job_title: str | None = Field(None, max_length=128)
    department: str | None = Field(None, max_length=128)
    office: str | None = Field(None, max_length=128)


@router.patch(
    "/users/{user_id}",
    response={200: UserOut, 412: Problem, **WRITE_ERRORS},
    tags=["users"],
    summary="Change a user's profile",
)
def change_user(
    request: HttpRequest, response: HttpResponse, user_id: int, body: UserChangeIn
) -> Any:
    """Change the fields given. With `If-Match`, only if the user is as that `ETag` says."""
    require(request, VIEW_USERS)
    user = _user(request, user_id)
    if stale(request, UserOut.of(user)):
        return problem(412, _("Changed since you read it"), _("Read the user again."))
    changes = body.model_dump(exclude_none=True)
    user_services.user_update(
        tenant=request.tenant, acting_user=request.actor, user=user, request=request, **changes
    )
    return _tagged(response, _user(request, user_id))


def _block(request: HttpRequest, response: HttpResponse, user_id: int, blocked: bool) -> UserOut:
    require(request, VIEW_USERS)
    user = _user(request, user_id)
    user_services.users_sign_in_block(
        tenant=request.tenant,
        acting_user=request.actor,
        users=[user],
        blocked=blocked,
        request=request,
    )
    return _tagged(response, _user(request, user_id))


@router.post(
    "/users/{user_id}/block",
    response={200: UserOut, **WRITE_ERRORS},
    tags=["users"],
    summary="Block a user's sign-in",
)
def block_user(request: HttpRequest, response: HttpResponse, user_id: int) -> Any:
    """Block sign-in; the user's sessions end at their next request."""
    return _block(request, response, user_id, True)


@router.post(
    "/users/{user_id}/allow",
    response={200: UserOut, **WRITE_ERRORS},
    tags=["users"],
    summary="Allow a user's sign-in again",
)
def allow_user(request: HttpRequest, response: HttpResponse, user_id: int) -> Any:
    return _block(request, response, user_id, False)


@router.delete(
    "/users/{user_id}",
    response={204: None, **WRITE_ERRORS},
    tags=["users"],
    summary="Delete a user (restorable for 30 days)",
)
def delete_user(request: HttpRequest, user_id: int) -> Any:
    require(request, VIEW_USERS)
    user_services.users_delete(
        tenant=request.tenant, acting_user=request.actor, users=[_user(request, user_id)]
    )
    return Status(204, None)


class RestoreIn(Schema):
    username: str = Field(max_length=254, description="The sign-in name to restore them as.")


@router.post(
    "/deleted-users/{user_id}/restore",
    response={200: UserCreated, **WRITE_ERRORS},
    tags=["users"],
    summary="Restore a deleted user",
)
def restore_user(request: HttpRequest, user_id: int, body: RestoreIn) -> Any:
    """Bring a user deleted in the last 30 days back, with a new temporary password."""
    require(request, VIEW_USERS)
    restored = user_services.user_restore(
        tenant=request.tenant,
        acting_user=request.actor,
        user=_user(request, user_id, deleted=True),
        username=body.username,
        request=request,
    )
    return UserCreated(
        user=UserOut.of(_user(request, user_id)), temporary_password=restored.password
    )


class TemporaryPassword(Schema):
    temporary_password: str = Field(description="Shown only in this answer.")


@router.post(
    "/users/{user_id}/reset-password",
    response={200: TemporaryPassword, **WRITE_ERRORS},
    tags=["users"],
    summary="Reset a user's password",
)
def reset_password(request: HttpRequest, user_id: int) -> Any:
    """Give the user a generated password, changed at their next sign-in.

    The same table as on the pages decides whose password the client's roles reset.
    """
    require(request, VIEW_USERS)
    [(_person, password)] = user_services.users_password_reset(
        tenant=request.tenant,
        acting_user=request.actor,
        users=[_user(request, user_id)],
        request=request,
    )
    return TemporaryPassword(temporary_password=password)


class RolesIn(Schema):
    roles: list[RoleCode] = Field(description="The user's role codes, all of them.")


@router.put(
    "/users/{user_id}/roles",
    response={200: UserOut, **WRITE_ERRORS},
    tags=["users"],
    summary="Set a user's roles",
)
def set_roles(request: HttpRequest, response: HttpResponse, user_id: int, body: RolesIn) -> Any:
    """Make these the user's roles, within the client's rights (all or nothing)."""
    require(request, VIEW_USERS)
    user_services.user_roles_set(
        tenant=request.tenant,
        acting_user=request.actor,
        user=_user(request, user_id),
        roles=body.roles,
        request=request,
    )
    return _tagged(response, _user(request, user_id))


@router.put(
    "/users/{user_id}/licenses/{subscription_id}",
    response={204: None, **WRITE_ERRORS},
    tags=["users"],
    summary="Give a user a license",
)
def assign_license(request: HttpRequest, user_id: int, subscription_id: int) -> Any:
    """Give the user a license of the subscription (nothing changes if they hold one)."""
    billing_services.license_assign(
        tenant=request.tenant,
        acting_user=request.actor,
        subscription=billing_selectors.access_subscription_by_id(request.actor, subscription_id),
        users=[_user(request, user_id)],
        request=request,
    )
    return Status(204, None)


@router.delete(
    "/users/{user_id}/licenses/{subscription_id}",
    response={204: None, **WRITE_ERRORS},
    tags=["users"],
    summary="Take a user's license away",
)
def unassign_license(request: HttpRequest, user_id: int, subscription_id: int) -> Any:
    billing_services.license_unassign(
        tenant=request.tenant,
        acting_user=request.actor,
        subscription=billing_selectors.access_subscription_by_id(request.actor, subscription_id),
        users=[_user(request, user_id)],
        request=request,
    )
    return Status(204, None)
