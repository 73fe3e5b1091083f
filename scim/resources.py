"""Users and groups as SCIM resources, and SCIM documents as the portal's changes.

Users: ``userName`` is the sign-in name (in one of the organization's verified
domains), ``name.givenName``/``familyName`` the first and last name,
``displayName``, ``title`` the job title, the enterprise ``department``, the
work ``phoneNumbers`` value the business phone, ``externalId`` kept as given,
``active`` the inverse of a blocked sign-in. Groups are the organization's
security groups: ``displayName`` their name, ``members`` their members.
Every change goes through the portal's services, as the acting API client.
"""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse

from accounts.models import Domain, User, UserManager
from groups import services as group_services
from groups.models import Group, Kind, Membership
from scim import schema
from scim.errors import ScimError
from users import selectors as user_selectors
from users import services as user_services

USER_FIELDS = (
    "first_name",
    "last_name",
    "display_name",
    "job_title",
    "department",
    "business_phone",
    "external_id",
)


def _timestamp(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


# Ids are unique across resource types (RFC 7643, section 3.1): a user's is their
# number, as in the portal and the REST API; a group's is "g" and its number.
GROUP_ID_PREFIX = "g"


def group_id(pk: int) -> str:
    return f"{GROUP_ID_PREFIX}{pk}"


def location(request: HttpRequest, name: str, scim_id: int | str) -> str:
    return request.build_absolute_uri(reverse(name, args=[scim_id]))


# Users ----------------------------------------------------------------------------------


def user_document(user: User) -> dict:
    """``user``'s attributes as a document (``scim.patch``): values only where set."""
    document: dict[str, Any] = {
        "userName": user.username,
        "displayName": user.display_name,
        "active": not user.is_sign_in_blocked,
    }
    name = {
        key: value
        for key, value in (("givenName", user.first_name), ("familyName", user.last_name))
        if value
    }
    if name:
        document["name"] = name
    if user.job_title:
        document["title"] = user.job_title
    if user.business_phone:
        document["phoneNumbers"] = [{"value": user.business_phone, "type": "work"}]
    if user.external_id:
        document["externalId"] = user.external_id
    if user.department:
        document[schema.ENTERPRISE_SCHEMA] = {"department": user.department}
    return document


def user_resource(request: HttpRequest, user: User) -> dict:
    document = user_document(user)
    schemas = [schema.USER_SCHEMA]
    if schema.ENTERPRISE_SCHEMA in document:
        schemas.append(schema.ENTERPRISE_SCHEMA)
    return {
        "schemas": schemas,
        "id": str(user.pk),
        **document,
        "meta": {
            "resourceType": "User",
            "created": _timestamp(user.date_joined),
            "location": location(request, "scim:user", user.pk),
        },
    }


def _string(document: dict, name: str, *, required: bool = False, label: str = "") -> str:
    value = document.get(name)
    if value is None or value == "":
        if required:
            raise ScimError(400, "invalidValue", f"{label or name} is required.")
        return ""
    if not isinstance(value, str):
        raise ScimError(400, "invalidValue", f"{label or name} is a string.")
    return value.strip()


def _boolean(value: Any) -> bool:
    # Entra ID sends "True"/"False" strings in PATCH values.
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ScimError(400, "invalidValue", "active is true or false.")


def _work_phone(value: Any) -> str:
    if value in (None, ""):
        return ""
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ScimError(400, "invalidValue", "phoneNumbers is a list of objects.")
    typed = [i for i in value if str(i.get("type") or "").lower() == "work"]
    untyped = [i for i in value if not i.get("type")]
    chosen = (typed or untyped or [{}])[0].get("value")
    if chosen is None:
        return ""
    if not isinstance(chosen, str):
        raise ScimError(400, "invalidValue", "A phone number is a string.")
    return chosen.strip()


def user_values(document: dict) -> dict:
    """The portal's user fields that ``document`` gives; ``active`` only when given."""
    name = document.get("name") or {}
    if not isinstance(name, dict):
        raise ScimError(400, "invalidValue", "name is an object.")
    enterprise = document.get(schema.ENTERPRISE_SCHEMA) or {}
    values = {
        "username": _string(document, "userName", required=True),
        "first_name": _string(name, "givenName", label="name.givenName"),
        "last_name": _string(name, "familyName", label="name.familyName"),
        "display_name": _string(document, "displayName"),
        "job_title": _string(document, "title"),
        "department": _string(enterprise, "department", label="department"),
        "business_phone": _work_phone(document.get("phoneNumbers")),
        "external_id": _string(document, "externalId"),
    }
    if not values["display_name"]:
        values["display_name"] = (
            f"{values['first_name']} {values['last_name']}".strip()
            or values["username"].split("@")[0]
        )
    if document.get("active") is not None:
        values["active"] = _boolean(document["active"])
    return values


def _check_domain(tenant_id: int, username: str) -> str:
    username = UserManager.normalize_username(username)
    local, _, domain = username.rpartition("@")
    verified = Domain.objects.filter(tenant_id=tenant_id, name=domain, is_verified=True)
    if not local or not domain or not verified.exists():
        raise ScimError(
            400,
            "invalidValue",
            "userName is a sign-in name in one of the organization's verified domains.",
        )
    return username


def refusal(error: ValidationError) -> ScimError:
    """A service's ValidationError as a SCIM error (a taken name is a uniqueness conflict)."""
    codes = set()
    if hasattr(error, "error_dict"):
        for errors in error.error_dict.values():
            codes.update(e.code for e in errors)
    else:
        codes.update(e.code for e in error.error_list)
    detail = " ".join(str(message) for message in error.messages)
    if codes & {"name_taken", "address_taken", "unique"}:
        return ScimError(409, "uniqueness", detail)
    return ScimError(400, "invalidValue", detail)


@transaction.atomic
def user_create(request: HttpRequest, document: dict) -> User:
    actor = request.actor
    values = user_values(document)
    username = _check_domain(actor.tenant_id, values.pop("username"))
    active = values.pop("active", True)
    try:
        user, _password = user_services.user_create(
            tenant=actor.tenant,
            acting_user=actor,
            username=username,
            display_name=values.pop("display_name"),
            first_name=values.pop("first_name"),
            last_name=values.pop("last_name"),
            profile={**values, "provisioned_by": actor.client},
            request=request,
        )
        if not active:
            user_services.users_sign_in_block(
                tenant=actor.tenant, acting_user=actor, users=[user], blocked=True, request=request
            )
    except ValidationError as error:
        raise refusal(error) from None
    return user


@transaction.atomic
def user_change(request: HttpRequest, user: User, document: dict) -> None:
    """Make ``user`` what ``document`` says (a PUT's body, or a document after PATCH)."""
    actor = request.actor
    values = user_values(document)
    try:
        username = UserManager.normalize_username(values.pop("username"))
        if username != user.username:
            user_services.user_username_change(
                tenant=actor.tenant,
                acting_user=actor,
                user=user,
                username=_check_domain(actor.tenant_id, username),
                request=request,
            )
        active = values.pop("active", None)
        user_services.user_update(
            tenant=actor.tenant, acting_user=actor, user=user, request=request, **values
        )
        if active is not None and active == user.is_sign_in_blocked:
            user_services.users_sign_in_block(
                tenant=actor.tenant,
                acting_user=actor,
                users=[user],
                blocked=not active,
                request=request,
            )
    except ValidationError as error:
        raise refusal(error) from None


def user_delete(request: HttpRequest, user: User) -> None:
    actor = request.actor
    try:
        user_services.users_delete(
            tenant=actor.tenant, acting_user=actor, users=[user], request=request
        )
    except ValidationError as error:
        raise refusal(error) from None


def users_reachable(request: HttpRequest):
    """The organization's active (not deleted) users."""
    return user_selectors.users_reachable_in(request.actor.tenant_id)


# Groups ---------------------------------------------------------------------------------


def groups_reachable(request: HttpRequest):
    """The organization's security groups (not deleted)."""
    return Group.objects.filter(
        tenant_id=request.actor.tenant_id, kind=Kind.SECURITY, deleted_at__isnull=True
    )


def member_ids(groups: Iterable[Group]) -> dict[int, list[int]]:
    """Each group's members' ids (deleted users left out), in the order they joined, in one read."""
    members: dict[int, list[int]] = {group.pk: [] for group in groups}
    rows = Membership.objects.filter(
        group_id__in=list(members), role=Membership.Role.MEMBER, user__deleted_at__isnull=True
    ).order_by("added_at", "id")
    for group_id, user_id in rows.values_list("group_id", "user_id"):
        members[group_id].append(user_id)
    return members


def group_document(request: HttpRequest, group: Group, members: list[int] | None) -> dict:
    document: dict[str, Any] = {"displayName": group.name}
    if group.external_id:
        document["externalId"] = group.external_id
    if members:
        document["members"] = [
            {"value": str(pk), "$ref": location(request, "scim:user", pk), "type": "User"}
            for pk in members
        ]
    return document


def group_resource(request: HttpRequest, group: Group, members: list[int] | None) -> dict:
    return {
        "schemas": [schema.GROUP_SCHEMA],
        "id": group_id(group.pk),
        **group_document(request, group, members),
        "meta": {
            "resourceType": "Group",
            "created": _timestamp(group.created_at),
            "location": location(request, "scim:group", group_id(group.pk)),
        },
    }


def _member_users(request: HttpRequest, document: dict) -> list[User]:
    members = document.get("members") or []
    if not isinstance(members, list) or not all(isinstance(m, dict) for m in members):
        raise ScimError(400, "invalidValue", "members is a list of objects.")
    ids: list[int] = []
    for member in members:
        value = member.get("value")
        if value is None and isinstance(member.get("$ref"), str):
            value = member["$ref"].rstrip("/").rsplit("/", 1)[-1]
        text = str(value) if isinstance(value, str | int) and not isinstance(value, bool) else ""
        if not schema.canonical_number(text):
            raise ScimError(400, "invalidValue", f"No user has the id {value!r}.")
        if int(text) not in ids:
            ids.append(int(text))
    found = users_reachable(request).in_bulk(ids)
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise ScimError(400, "invalidValue", f"No user has the id {missing[0]}.")
    return [found[pk] for pk in ids]


def group_values(document: dict) -> dict:
    name = _string(document, "displayName", required=True)
    if len(name) > Group._meta.get_field("name").max_length:
        raise ScimError(400, "invalidValue", "displayName is too long.")
    return {"name": name, "external_id": _string(document, "externalId")}


@transaction.atomic
def group_create(request: HttpRequest, document: dict) -> Group:
    actor = request.actor
    values = group_values(document)
    members = _member_users(request, document)
    try:
        group = group_services.group_create(
            tenant=actor.tenant,
            acting_user=actor,
            kind=Kind.SECURITY,
            name=values["name"],
            external_id=values["external_id"],
            members=members,
            request=request,
        )
    except ValidationError as error:
        raise refusal(error) from None
    return group


@transaction.atomic
def group_change(request: HttpRequest, group: Group, document: dict, current: list[int]) -> None:
    """Make ``group`` what ``document`` says; ``current`` is its member ids."""
    actor = request.actor
    values = group_values(document)
    wanted = _member_users(request, document)
    wanted_ids = {user.pk for user in wanted}
    try:
        group_services.group_update(
            tenant=actor.tenant, acting_user=actor, group=group, request=request, **values
        )
        added = [user for user in wanted if user.pk not in set(current)]
        if added:
            group_services.group_people_add(
                tenant=actor.tenant,
                acting_user=actor,
                group=group,
                users=added,
                role=Membership.Role.MEMBER,
                request=request,
            )
        gone = [pk for pk in current if pk not in wanted_ids]
        if gone:
            group_services.group_people_remove(
                tenant=actor.tenant,
                acting_user=actor,
                group=group,
                users=list(User.objects.filter(pk__in=gone)),
                role=Membership.Role.MEMBER,
                request=request,
            )
    except ValidationError as error:
        raise refusal(error) from None


def group_delete(request: HttpRequest, group: Group) -> None:
    actor = request.actor
    try:
        group_services.groups_delete(
            tenant=actor.tenant, acting_user=actor, groups=[group], request=request
        )
    except ValidationError as error:
        raise refusal(error) from None
