"""Rendered pages kept for the session that asked for them, until its organization changes.

Most requests for an organization's page (a list, an object's page, the audit log)
see the same data as the request before: rendering it again costs its queries and
templates every time. A view that opts in (``CachedPageMixin``) keeps its rendered
answer in the cache, under a key made of the session and its CSRF cookie (the page
holds that session's form tokens, so it is never served to any other session), the
path with its query string, the language, the time zone and whether htmx asked for
the results alone. The entry carries the organization's version token as it was
when the page was rendered, and is served only while the organization still has
that token.

An organization gets a new token (``organization_changed``) with every audit event
(``accounts.audit``: every change is audited) and every save or delete of a row that
belongs to it (the ``post_save``/``post_delete`` receivers below): once at the
change, so the same transaction reads its own writes, and once more when the
transaction commits, so a request that rendered between the two (seeing the old
rows) stored its page under a token nobody asks for any more. The token lives in
the shared cache, so every node sees a change at once. Two kinds of token: the
organization's data, and its events, which every change renews too; sign-ins and
sign-outs renew the events only, so pages that show them (the audit log, sign-in
reports, a user's page with its last sign-in and activity) follow them while the
other pages are not rendered afresh for every sign-in.

What changes without either (a sign-in time, the operators' product catalogue) is
shown within ``PORTAL_PAGE_CACHE_SECONDS`` (the entries' lifetime; 0 turns pages'
caching off).
"""

import hashlib
import secrets
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import get_language

DATA = "data"
EVENTS = "events"
SCOPES = (DATA, EVENTS)

# Audit actions that change nothing a page of data shows, only the event pages.
EVENT_ONLY_ACTION_PREFIXES = ("signin.", "signout", "reauth.")

# Saves that touch only these fields change nothing a cached page shows.
_QUIET_FIELDS = frozenset({"last_login"})

_PENDING = "_pagecache_pending"


def cache_seconds() -> int:
    """Return how long a rendered page is kept (0: not at all)."""
    return settings.PORTAL_PAGE_CACHE_SECONDS


def _version_key(tenant_id: int, scope: str) -> str:
    return f"pagecache:version:{scope}:{tenant_id}"


def organization_changed(tenant_id: int | None, scopes: Iterable[str] = SCOPES) -> None:
    """Give the organization's pages of ``scopes`` a new version, now and at commit."""
    if tenant_id is None:
        return
    scopes = tuple(scopes)
    _bump(tenant_id, scopes)
    connection = transaction.get_connection(DEFAULT_DB_ALIAS)
    if not connection.in_atomic_block:
        return
    # One bump at commit for each organization the transaction changed, however
    # many rows it wrote. A rollback drops the callback but may leave the set:
    # the next transaction then bumps those organizations once more, harmlessly.
    pending = connection.__dict__.setdefault(_PENDING, {})
    registered = any(
        callback is _bump_pending for _sids, callback, _robust in connection.run_on_commit
    )
    pending.setdefault(tenant_id, set()).update(scopes)
    if not registered:
        transaction.on_commit(_bump_pending, robust=True)


def _bump_pending() -> None:
    connection = transaction.get_connection(DEFAULT_DB_ALIAS)
    pending = connection.__dict__.pop(_PENDING, {})
    for tenant_id, scopes in pending.items():
        _bump(tenant_id, tuple(scopes))


def _bump(tenant_id: int, scopes: tuple[str, ...]) -> None:
    cache.set_many(
        {_version_key(tenant_id, scope): secrets.token_hex(8) for scope in scopes}, timeout=None
    )


def audit_action_changed(tenant_id: int | None, action: str) -> None:
    """Record that an audit event of ``action`` was written for the organization."""
    if action.startswith(EVENT_ONLY_ACTION_PREFIXES):
        organization_changed(tenant_id, (EVENTS,))
    else:
        organization_changed(tenant_id)


def row_saved(sender, instance, update_fields=None, **kwargs) -> None:
    """Give the organization of a saved row new versions (a ``post_save`` receiver).

    A model whose rows no page of data shows (the audit log, which
    ``audit_action_changed`` covers) sets ``page_cache_quiet = True``.
    """
    if getattr(sender, "page_cache_quiet", False):
        return
    if update_fields is not None and frozenset(update_fields) <= _QUIET_FIELDS:
        return
    tenant_id = getattr(instance, "tenant_id", None)
    if tenant_id is not None:
        organization_changed(tenant_id)


def row_deleted(sender, instance, **kwargs) -> None:
    """Give the organization of a deleted row new versions (a ``post_delete`` receiver)."""
    if getattr(sender, "page_cache_quiet", False):
        return
    tenant_id = getattr(instance, "tenant_id", None)
    if tenant_id is not None:
        organization_changed(tenant_id)


def organization_cached(
    tenant_id: int, name: str, compute: Callable[[], Any], *, timeout: int, scope: str = DATA
) -> Any:
    """Return ``compute()``, kept in the cache until the organization changes (or ``timeout``).

    For figures that cost more than the page around them (the count of 100,000
    users): the value is recomputed after any change of the organization, on
    any node, without a list of the places that must forget it.
    """
    value_key = f"pagecache:value:{tenant_id}:{name}"
    version, entry = _lookup(tenant_id, scope, value_key)
    if entry is not None:
        return entry
    value = compute()
    if version is not None:
        cache.set(value_key, (version, value), timeout=timeout)
    return value


def _lookup(tenant_id: int, scope: str, key: str) -> tuple[str | None, Any]:
    """Return the organization's current version and what ``key`` keeps under it (or None).

    One round trip to the cache for both. An organization without a version yet
    (or one the cache let go) gets one: what was kept before is not served.
    """
    version_key = _version_key(tenant_id, scope)
    found = cache.get_many([version_key, key])
    version, entry = found.get(version_key), found.get(key)
    if version is None:
        cache.add(version_key, secrets.token_hex(8), timeout=None)
        return cache.get(version_key), None
    if entry is not None and entry[0] == version:
        return version, entry[1]
    return version, None


def _page_key(request: HttpRequest) -> str:
    parts = (
        str(request.tenant.pk),
        # Who sees it: the person, or a party acting with roles of its own (a partner's admin).
        str(getattr(request.user, "page_cache_identity", request.user.pk)),
        request.session.session_key or "",
        request.COOKIES.get(settings.CSRF_COOKIE_NAME, ""),
        request.get_full_path(),
        get_language() or "",
        timezone.get_current_timezone_name(),
        request.headers.get("HX-Request", ""),
        request.headers.get("HX-History-Restore-Request", ""),
        request.headers.get("HX-Target", ""),
    )
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"pagecache:page:{digest}"


def _has_messages(request: HttpRequest) -> bool:
    storage = getattr(request, "_messages", None)
    if storage is None:
        return False
    return bool(storage._queued_messages) or bool(storage._loaded_messages)


class CachedPageMixin:
    """Serve a GET page from the cache while its organization has not changed.

    Put it after the mixin that signs in and checks the permission (that check
    runs on every request, cached or not) and before the view. ``page_cache_scope``
    is the version the page depends on: ``DATA`` (the default) or ``EVENTS``
    (pages of audit events and sign-ins). Only a 200 answer is kept, and never
    one that shows messages (a message belongs to one moment).
    """

    page_cache_scope = DATA

    def dispatch(self, request, *args, **kwargs):
        seconds = cache_seconds()
        tenant = getattr(request, "tenant", None)
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if (
            not seconds
            or request.method != "GET"
            or tenant is None
            or user is None
            or not user.is_authenticated
            or session is None
            or session.session_key is None
            or _has_messages(request)
        ):
            return super().dispatch(request, *args, **kwargs)
        page_key = _page_key(request)
        version, entry = _lookup(tenant.pk, self.page_cache_scope, page_key)
        # A browser's hard reload (Cache-Control: no-cache) renders the page afresh.
        if entry is not None and "no-cache" not in request.headers.get("Cache-Control", ""):
            content, headers = entry
            response = HttpResponse(content)
            for header, value in headers:
                response[header] = value
            return response
        response = super().dispatch(request, *args, **kwargs)
        if response.status_code != 200 or getattr(response, "streaming", False):
            return response
        if hasattr(response, "render"):
            response.render()
        if version is not None and not _has_messages(request):
            headers = [(h, v) for h, v in response.items() if h.lower() != "content-length"]
            cache.set(page_key, (version, (response.content, headers)), timeout=seconds)
        return response
