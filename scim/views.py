"""SCIM 2.0 (RFC 7644) at /scim/v2/: discovery, Users and Groups.

An identity provider calls it with an API client's secret
(``Authorization: Bearer``), counted against the same per-client rate limit as
the REST API. ``/Users`` needs the User admin's rights, ``/Groups`` the Groups
admin's. Every answer, errors included, is ``application/scim+json``; errors
are SCIM error messages with a ``scimType`` where RFC 7644 names one.
"""

import copy
import json
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from accounts.lockout import client_ip
from accounts.models import User
from accounts.roles import (
    ADD_GROUPS,
    ADD_USERS,
    CHANGE_GROUPS,
    CHANGE_USERS,
    DELETE_GROUPS,
    DELETE_USERS,
    VIEW_GROUPS,
    VIEW_USERS,
)
from api.actor import ApiActor
from api.rest.base import RateLimited, count_request
from api.services import client_for_secret
from core.prepared import PreparedQuery
from groups.models import Group
from scim import filters, resources, schema
from scim.errors import CONTENT_TYPE, ScimError, error_response, storable
from scim.patch import Document

ALWAYS = {"schemas", "id"}


def scim_response(body: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(body), status=status, content_type=CONTENT_TYPE)


@method_decorator(csrf_exempt, name="dispatch")
class ScimView(View):
    """Authenticates the client, checks its rights, and answers every refusal as SCIM does."""

    permissions: tuple[str, ...] = ()
    http_method_names = ["get", "post", "put", "patch", "delete"]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            self._authenticate(request)
            if request.method.lower() not in self.http_method_names or not hasattr(
                self, request.method.lower()
            ):
                return error_response(405, "", f"{request.method} is not allowed here.")
            if not all(request.actor.has_perm(p) for p in self.permissions):
                raise ScimError(403, "", "The API client's roles do not allow this.")
            return super().dispatch(request, *args, **kwargs)
        except ScimError as error:
            return error.response()
        except Http404:
            return error_response(404, "", "Not found.")
        except PermissionDenied as error:
            return error_response(403, "", str(error) or "Not allowed.")
        except ValidationError as error:
            return resources.refusal(error).response()
        except RateLimited as limited:
            response = error_response(429, "", "Too many requests; retry after a while.")
            response["Retry-After"] = str(limited.retry_after)
            return response

    def _authenticate(self, request: HttpRequest) -> None:
        scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
        client = None
        if scheme.lower() == "bearer" and secret.strip():
            client = client_for_secret(secret.strip(), address=client_ip(request))
        if client is None:
            raise ScimError(401, "", "A valid API client secret is required (Bearer).")
        count_request(client)
        request.api_client = client
        request.tenant = client.tenant
        request.actor = ApiActor(client)

    def body(self, request: HttpRequest) -> dict:
        try:
            body = json.loads(request.body or b"null")
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise ScimError(400, "invalidSyntax", "The body is not JSON.") from None
        if not isinstance(body, dict):
            raise ScimError(400, "invalidSyntax", "The body is a JSON object.")
        if not _all_storable(body):
            raise ScimError(400, "invalidValue", "A value holds a character no text may hold.")
        return body


def _all_storable(value: Any) -> bool:
    """Whether every string in a JSON value (keys too) is text a database keeps."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return all(_all_storable(k) and _all_storable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_all_storable(item) for item in value)
    return True


def _id(scim_id: str, prefix: str = "") -> int:
    """The row id of SCIM id ``scim_id``, or Http404."""
    number = scim_id.removeprefix(prefix) if scim_id.startswith(prefix) else ""
    if not schema.canonical_number(number):
        raise Http404
    return int(number)


# Query parameters, from the URL or a POST to .search (RFC 7644, section 3.4.3) ------------


def _params(request: HttpRequest) -> dict:
    """The query's parameters: a .search body's, else the URL's."""
    return getattr(request, "scim_params", None) or request.GET


def _search_params(body: dict) -> dict:
    """A SearchRequest's parameters, as the URL would give them."""
    params = {}
    for key, value in body.items():
        name = {k.lower(): k for k in SEARCH_PARAMETERS}.get(str(key).lower())
        if name is None or value is None:
            continue
        if isinstance(value, list):
            if not all(isinstance(item, str) for item in value):
                raise ScimError(400, "invalidValue", f"{name} is a list of attribute names.")
            value = ",".join(value)
        elif isinstance(value, bool) or not isinstance(value, str | int):
            raise ScimError(400, "invalidValue", f"{name} has a value of the wrong type.")
        params[name] = str(value)
    return params


SEARCH_PARAMETERS = ("filter", "startIndex", "count", "attributes", "excludedAttributes")


# Attribute selection (RFC 7644, section 3.9) ---------------------------------------------


def _names(request: HttpRequest, parameter: str) -> list[tuple[str | None, str, str | None]]:
    """``attributes``/``excludedAttributes`` as (extension URN or None, attribute, sub)."""
    names = []
    for raw in _params(request).get(parameter, "").split(","):
        text = raw.strip().lower()
        if not text:
            continue
        holder = None
        for known in (schema.USER_SCHEMA, schema.GROUP_SCHEMA, schema.ENTERPRISE_SCHEMA):
            if text == known.lower() and known == schema.ENTERPRISE_SCHEMA:
                text, holder = "", known
                break
            if text.startswith(known.lower() + ":"):
                text = text[len(known) + 1 :]
                holder = known if known == schema.ENTERPRISE_SCHEMA else None
                break
        attr, _, sub = text.partition(".")
        names.append((holder, attr, sub or None))
    return names


def _find(mapping: dict, name: str) -> str | None:
    return next((key for key in mapping if key.lower() == name), None)


def project(resource: dict, included: list, excluded: list) -> dict:
    """``resource`` with only the ``included`` attributes, or without the ``excluded`` ones."""
    if included:
        result = {key: resource[key] for key in resource if key in ALWAYS}
        for holder, attr, sub in included:
            source = resource.get(holder, {}) if holder else resource
            target = result.setdefault(holder, {}) if holder else result
            if not attr and holder:  # the whole extension
                result[holder] = copy.deepcopy(source)
                continue
            key = _find(source, attr) if isinstance(source, dict) else None
            if key is None:
                if not holder and attr != "meta" and schema.ENTERPRISE_SCHEMA in resource:
                    extension = resource[schema.ENTERPRISE_SCHEMA]
                    if _find(extension, attr):
                        extension_key = _find(extension, attr)
                        result.setdefault(schema.ENTERPRISE_SCHEMA, {})[extension_key] = extension[
                            extension_key
                        ]
                continue
            value = source[key]
            if sub and isinstance(value, dict):
                sub_key = _find(value, sub)
                if sub_key is not None:
                    target.setdefault(key, {})[sub_key] = value[sub_key]
            elif sub and isinstance(value, list):
                picked = [{k: v for k, v in item.items() if k.lower() == sub} for item in value]
                target[key] = [item for item in picked if item]
            else:
                target[key] = copy.deepcopy(value)
        if schema.ENTERPRISE_SCHEMA in result and not result[schema.ENTERPRISE_SCHEMA]:
            del result[schema.ENTERPRISE_SCHEMA]
    else:
        result = copy.deepcopy(resource)
        for holder, attr, sub in excluded:
            if attr in ALWAYS and not holder:
                continue
            source = result.get(holder) if holder else result
            if not isinstance(source, dict):
                continue
            if not attr:
                result.pop(holder, None)
                continue
            key = _find(source, attr)
            if (
                key is None
                and not holder
                and isinstance(result.get(schema.ENTERPRISE_SCHEMA), dict)
            ):
                source = result[schema.ENTERPRISE_SCHEMA]
                key = _find(source, attr)
            if key is None:
                continue
            if sub and isinstance(source[key], dict):
                sub_key = _find(source[key], sub)
                if sub_key:
                    del source[key][sub_key]
                if not source[key]:
                    del source[key]
            elif sub and isinstance(source[key], list):
                for item in source[key]:
                    for k in [k for k in item if k.lower() == sub]:
                        del item[k]
            else:
                del source[key]
        if (
            isinstance(result.get(schema.ENTERPRISE_SCHEMA), dict)
            and not result[schema.ENTERPRISE_SCHEMA]
        ):
            del result[schema.ENTERPRISE_SCHEMA]
    if "schemas" in result and schema.ENTERPRISE_SCHEMA not in result:
        result["schemas"] = [s for s in result["schemas"] if s != schema.ENTERPRISE_SCHEMA]
    return result


def _projected(request: HttpRequest, resource: dict) -> dict:
    return project(resource, _names(request, "attributes"), _names(request, "excludedAttributes"))


def _wants(request: HttpRequest, attr: str) -> bool:
    """Whether the answer shows ``attr`` (members are read only when it does)."""
    included = _names(request, "attributes")
    if included:
        return any(name == attr and holder is None for holder, name, _ in included)
    return not any(
        name == attr and not sub for _, name, sub in _names(request, "excludedAttributes")
    )


def _paging(request: HttpRequest) -> tuple[int, int]:
    try:
        start = int(_params(request).get("startIndex", "1"))
        count = int(_params(request).get("count", str(schema.MAX_RESULTS)))
    except ValueError:
        raise ScimError(400, "invalidValue", "startIndex and count are integers.") from None
    return max(start, 1), min(max(count, 0), schema.MAX_RESULTS)


def list_response(request: HttpRequest, queryset, render) -> HttpResponse:
    """One page of ``queryset`` (filtered by ``filter``) as a ListResponse."""
    start, count = _paging(request)
    page = list(queryset[start - 1 : start - 1 + count]) if count else []
    # A first page shorter than asked is all there is: no count needed (a lookup by name).
    total = len(page) if start == 1 and len(page) < count else queryset.count()
    return scim_response(
        {
            "schemas": [schema.LIST_RESPONSE],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": len(page),
            "Resources": [_projected(request, resource) for resource in render(page)],
        }
    )


# Discovery --------------------------------------------------------------------------------


class ServiceProviderConfigView(ScimView):
    http_method_names = ["get"]

    def get(self, request: HttpRequest) -> HttpResponse:
        return scim_response(
            schema.service_provider_config(
                request.build_absolute_uri(reverse("scim:service_provider_config")),
                request.build_absolute_uri("/api/docs/"),
            )
        )


def _listing(items: list[dict]) -> dict:
    return {
        "schemas": [schema.LIST_RESPONSE],
        "totalResults": len(items),
        "startIndex": 1,
        "itemsPerPage": len(items),
        "Resources": items,
    }


class ResourceTypesView(ScimView):
    http_method_names = ["get"]

    def get(self, request: HttpRequest, name: str | None = None) -> HttpResponse:
        def rendered(resource_type: schema.ResourceType) -> dict:
            where = reverse("scim:resource_type", args=[resource_type.name])
            return resource_type.as_dict(request.build_absolute_uri(where))

        if name is None:
            return scim_response(_listing([rendered(t) for t in schema.RESOURCE_TYPES.values()]))
        if name not in schema.RESOURCE_TYPES:
            raise Http404
        return scim_response(rendered(schema.RESOURCE_TYPES[name]))


class SchemasView(ScimView):
    http_method_names = ["get"]

    def get(self, request: HttpRequest, name: str | None = None) -> HttpResponse:
        def rendered(item: schema.Schema) -> dict:
            where = reverse("scim:schema", args=[item.id])
            return item.as_dict(request.build_absolute_uri(where))

        if name is None:
            return scim_response(_listing([rendered(s) for s in schema.SCHEMAS.values()]))
        if name not in schema.SCHEMAS:
            raise Http404
        return scim_response(rendered(schema.SCHEMAS[name]))


class NotImplementedView(ScimView):
    """``/Bulk`` and ``/Me``: not offered (ServiceProviderConfig says bulk is unsupported)."""

    def get(self, request: HttpRequest, rest: str = "") -> HttpResponse:
        raise ScimError(501, "", "Not offered by this service provider.")

    post = put = patch = delete = get


class NotFoundView(ScimView):
    """Any other address under /scim/v2/: a SCIM 404 (for a known client)."""

    http_method_names = ["get", "post", "put", "patch", "delete"]

    def get(self, request: HttpRequest, rest: str = "") -> HttpResponse:
        raise Http404

    post = put = patch = delete = get


# Users --------------------------------------------------------------------------------------

USER_RIGHTS = (VIEW_USERS, ADD_USERS, CHANGE_USERS, DELETE_USERS)
GROUP_RIGHTS = (VIEW_GROUPS, ADD_GROUPS, CHANGE_GROUPS, DELETE_GROUPS)
USERS = schema.RESOURCE_TYPES["User"]
GROUPS = schema.RESOURCE_TYPES["Group"]


def _users(request: HttpRequest):
    return User.objects.filter(tenant_id=request.actor.tenant_id, deleted_at__isnull=True)


def _user(request: HttpRequest, pk: str) -> User:
    user = _users(request).filter(pk=_id(pk)).first()
    if user is None:
        raise Http404
    return user


def _user_answer(request: HttpRequest, user: User, status: int = 200) -> HttpResponse:
    response = scim_response(_projected(request, resources.user_resource(request, user)), status)
    if status == 201:
        response["Location"] = resources.location(request, "scim:user", user.pk)
    return response


def _user_list(request: HttpRequest, *, lenient: bool = False):
    users = _users(request)
    if _params(request).get("filter"):
        users = users.filter(filters.to_q(_params(request)["filter"], USERS, lenient=lenient))
    return users.order_by("pk")


# What an identity provider asks before every change: is this sign-in name here?
# The same rows as _user_list with that filter, compiled once per process.
_BY_USERNAME = PreparedQuery(
    lambda tenant, username: User.objects.filter(
        tenant_id=tenant, deleted_at__isnull=True, username=username
    ).order_by("pk"),
    tenant=int,
    username=str,
)


def _username_lookup(request: HttpRequest) -> list[User] | None:
    """The users of a first page filtered by exactly ``userName eq "..."``, else None."""
    params = _params(request)
    text = params.get("filter")
    if not text or params.get("startIndex", "1") != "1":
        return None
    name = filters.username_lookup(text)
    if name is None:
        return None
    return _BY_USERNAME(tenant=request.actor.tenant_id, username=name)


def _user_resources(request: HttpRequest, users: list[User]) -> list[dict]:
    return [resources.user_resource(request, user) for user in users]


class UsersView(ScimView):
    permissions = USER_RIGHTS
    http_method_names = ["get", "post"]

    def get(self, request: HttpRequest) -> HttpResponse:
        found = _username_lookup(request)
        if found is not None and _paging(request)[1] >= len(found):
            return scim_response(
                {
                    "schemas": [schema.LIST_RESPONSE],
                    "totalResults": len(found),
                    "startIndex": 1,
                    "itemsPerPage": len(found),
                    "Resources": [
                        _projected(request, resource)
                        for resource in _user_resources(request, found)
                    ],
                }
            )
        return list_response(
            request, _user_list(request), lambda page: _user_resources(request, page)
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        document = Document(USERS).from_body(self.body(request))
        user = resources.user_create(request, document)
        return _user_answer(request, _user(request, str(user.pk)), 201)


class UserView(ScimView):
    permissions = USER_RIGHTS
    http_method_names = ["get", "put", "patch", "delete"]

    def get(self, request: HttpRequest, pk: str) -> HttpResponse:
        return _user_answer(request, _user(request, pk))

    def put(self, request: HttpRequest, pk: str) -> HttpResponse:
        user = _user(request, pk)
        document = Document(USERS).from_body(self.body(request))
        resources.user_change(request, user, document)
        return _user_answer(request, _user(request, pk))

    def patch(self, request: HttpRequest, pk: str) -> HttpResponse:
        user = _user(request, pk)
        body = self.body(request)
        operations = next((v for k, v in body.items() if k.lower() == "operations"), None)
        document = resources.user_document(user)
        Document(USERS).apply(document, operations)
        resources.user_change(request, user, document)
        return _user_answer(request, _user(request, pk))

    def delete(self, request: HttpRequest, pk: str) -> HttpResponse:
        resources.user_delete(request, _user(request, pk))
        return HttpResponse(status=204)


# Groups -------------------------------------------------------------------------------------


def _group(request: HttpRequest, pk: str) -> Group:
    group = resources.groups_reachable(request).filter(pk=_id(pk, resources.GROUP_ID_PREFIX))
    group = group.first()
    if group is None:
        raise Http404
    return group


def _group_resources(request: HttpRequest, groups: list[Group]) -> list[dict]:
    members = resources.member_ids(groups) if _wants(request, "members") else {}
    return [resources.group_resource(request, g, members.get(g.pk)) for g in groups]


def _group_answer(request: HttpRequest, group: Group, status: int = 200) -> HttpResponse:
    response = scim_response(_projected(request, _group_resources(request, [group])[0]), status)
    if status == 201:
        response["Location"] = resources.location(
            request, "scim:group", resources.group_id(group.pk)
        )
    return response


def _group_list(request: HttpRequest, *, lenient: bool = False):
    groups = resources.groups_reachable(request)
    if _params(request).get("filter"):
        groups = groups.filter(filters.to_q(_params(request)["filter"], GROUPS, lenient=lenient))
    return groups.order_by("pk")


class GroupsView(ScimView):
    permissions = GROUP_RIGHTS
    http_method_names = ["get", "post"]

    def get(self, request: HttpRequest) -> HttpResponse:
        return list_response(
            request, _group_list(request), lambda page: _group_resources(request, page)
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        document = Document(GROUPS).from_body(self.body(request))
        group = resources.group_create(request, document)
        return _group_answer(request, _group(request, resources.group_id(group.pk)), 201)


class GroupView(ScimView):
    permissions = GROUP_RIGHTS
    http_method_names = ["get", "put", "patch", "delete"]

    def get(self, request: HttpRequest, pk: str) -> HttpResponse:
        return _group_answer(request, _group(request, pk))

    def put(self, request: HttpRequest, pk: str) -> HttpResponse:
        group = _group(request, pk)
        document = Document(GROUPS).from_body(self.body(request))
        current = resources.member_ids([group])[group.pk]
        resources.group_change(request, group, document, current)
        return _group_answer(request, _group(request, pk))

    def patch(self, request: HttpRequest, pk: str) -> HttpResponse:
        group = _group(request, pk)
        body = self.body(request)
        operations = next((v for k, v in body.items() if k.lower() == "operations"), None)
        current = resources.member_ids([group])[group.pk]
        document = resources.group_document(request, group, current)
        Document(GROUPS).apply(document, operations)
        resources.group_change(request, group, document, current)
        return _group_answer(request, _group(request, pk))

    def delete(self, request: HttpRequest, pk: str) -> HttpResponse:
        resources.group_delete(request, _group(request, pk))
        return HttpResponse(status=204)


# Searching with POST (RFC 7644, section 3.4.3) ---------------------------------------------


class UsersSearchView(ScimView):
    permissions = USER_RIGHTS
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        request.scim_params = _search_params(self.body(request))
        return UsersView().get(request)


class GroupsSearchView(ScimView):
    permissions = GROUP_RIGHTS
    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        request.scim_params = _search_params(self.body(request))
        return GroupsView().get(request)


class SearchView(ScimView):
    """``/.search``: users, then groups, of those the client may read.

    An attribute one resource type lacks matches nothing of that type; one that
    no type has is an ``invalidFilter`` error.
    """

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        request.scim_params = _search_params(self.body(request))
        kinds = [
            (USERS, _user_list, _user_resources, USER_RIGHTS),
            (GROUPS, _group_list, _group_resources, GROUP_RIGHTS),
        ]
        kinds = [k for k in kinds if all(request.actor.has_perm(p) for p in k[3])]
        if not kinds:
            raise ScimError(403, "", "The API client's roles do not allow this.")
        text = _params(request).get("filter")
        if text:
            refusals = []
            for resource_type, *_rest in kinds:
                try:
                    filters.to_q(text, resource_type)
                except ScimError as error:
                    refusals.append(error)
            if len(refusals) == len(kinds):
                raise refusals[0]
        start, count = _paging(request)
        results, total, skip = [], 0, start - 1
        for _type, listing, render, _rights in kinds:
            queryset = listing(request, lenient=True)
            size = queryset.count()
            total += size
            wanted = count - len(results)
            if wanted > 0 and skip < size:
                results += render(request, list(queryset[skip : skip + wanted]))
            skip = max(0, skip - size)
        return scim_response(
            {
                "schemas": [schema.LIST_RESPONSE],
                "totalResults": total,
                "startIndex": start,
                "itemsPerPage": len(results),
                "Resources": [_projected(request, resource) for resource in results],
            }
        )
