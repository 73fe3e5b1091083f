"""Reads on the shared model. Every read takes the tenant."""

import functools
from datetime import UTC, datetime

import django_filters
from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Func, Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from django_filters.constants import EMPTY_VALUES

from accounts.audit import ACTION_LABELS
from accounts.models import AuditEvent, Domain, RoleAssignment, Tenant, User
from accounts.roles import GLOBAL_ADMIN
from core.access import object_or_404
from core.filters import KeptFormClassMixin
from core.form_renderer import KeptChoices
from core.pagecache import organization_cached
from core.prepared import PreparedQuery

HOME_COUNTS_SECONDS = 60


def domain_choices(tenant: Tenant) -> list[tuple[str, str]]:
    """Return the tenant's verified domains as choices, the default one first."""
    domains = (
        Domain.objects.for_tenant(tenant).filter(is_verified=True).order_by("-is_default", "name")
    )
    return [(domain.name, domain.name) for domain in domains]


def home_counts(*, tenant: Tenant | None) -> dict[str, int]:
    """Return the counts shown on Home: users, blocked users and admins (not deleted).

    Counting 100,000 users on every visit of Home costs more than the rest of the
    page, so the figures are kept in the shared cache until the organization
    changes (core.pagecache), and at most a minute.
    """
    if tenant is None:
        return {"users": 0, "blocked": 0, "admins": 0}
    return organization_cached(
        tenant.pk, "home-counts", lambda: _count_home(tenant), timeout=HOME_COUNTS_SECONDS
    )


def _count_home(tenant: Tenant) -> dict[str, int]:
    # One scan of the tenant's users for both of their counts.
    counts = (
        User.objects.for_tenant(tenant)
        .active()
        .aggregate(users=Count("pk"), blocked=Count("pk", filter=Q(is_sign_in_blocked=True)))
    )
    counts["admins"] = (
        RoleAssignment.objects.for_tenant(tenant)
        .filter(user__deleted_at__isnull=True)
        .values("user")
        .distinct()
        .count()
    )
    return counts


class _KeptChoiceFilter(django_filters.ChoiceFilter):
    """A choice filter whose choices, the empty one first, are ``KeptChoices``.

    Its field is Django's own ChoiceField: django-filters' copies the choices for
    every form made, and each time wraps them with its empty choice, so that the
    hundred labels of the audit log's actions would be copied, translated and
    rendered on every request.
    """

    field_class = forms.ChoiceField


class AuditEventFilter(KeptFormClassMixin, django_filters.FilterSet):
    """The audit log's filters, read from the query string (the list page and its export).

    Every field is bounded: text no longer than what is stored, choices and dates
    parsed, so a crafted query string is a field error on the page and a 400 for
    the export, never a scan with a pattern of any length.
    """

    actor = django_filters.CharFilter(
        field_name="actor_label",
        lookup_expr="istartswith",
        label=_("Actor"),
        help_text=_("Sign-in name, or its beginning."),
        max_length=AuditEvent._meta.get_field("actor_label").max_length,
    )
    action = _KeptChoiceFilter(
        choices=KeptChoices(
            [("", _("All actions")), *sorted(ACTION_LABELS.items(), key=lambda kv: str(kv[1]))]
        ),
        label=_("Action"),
    )
    date_from = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__gte",
        label=_("From"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__lte",
        label=_("To"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = AuditEvent
        fields = ["actor", "action", "date_from", "date_to"]

    def applied(self) -> dict[str, object]:
        """Return the filters that filter: ``{name: value}``, valid and not empty."""
        if not self.is_bound:
            return {}
        self.errors  # noqa: B018 - validates the form
        return {
            name: value
            for name, value in self.form.cleaned_data.items()
            if value not in EMPTY_VALUES
        }


def audit_event_list(
    *, tenant: Tenant, params: QueryDict | None = None
) -> tuple[QuerySet[AuditEvent], "AuditEventFilter"]:
    """Return the tenant's audit events, newest first, filtered by ``params``.

    Also returns the bound filter (for its form and errors).
    """
    queryset = AuditEvent.objects.for_tenant(tenant).order_by("-created_at", "-id")
    event_filter = AuditEventFilter(params or None, queryset=queryset)
    return event_filter.qs, event_filter


# What the audit log's table shows of an event: the values and the user agent stay
# in the database. The time comes as text (ISO 8601, in UTC) and is parsed here:
# the database driver's own timestamps, made aware by Django's loader one value
# at a time, cost several times more.
AUDIT_ROW_FIELDS = ("id", "created_at", "actor_label", "action", "target_label", "ip_address")
_ROW_VALUES = (
    "id",
    Cast("created_at", TextField()),
    "actor_label",
    "action",
    "target_label",
    "ip_address",
)


def _event_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    # SQLite keeps UTC times without their offset.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def audit_event_page(
    *, tenant: Tenant, params: QueryDict, page: str | None, per_page: int
) -> tuple[Page, "AuditEventFilter"]:
    """Return one page of the tenant's audit events, newest first, filtered by ``params``.

    The page (a Django ``Page``, past the end the last one, as ``get_page`` does)
    holds tuples of ``AUDIT_ROW_FIELDS``, the time an aware datetime. Also returns
    the bound filter (for its form and errors); a field with an error does not
    filter. The whole log and the log of one action, the pages every visit
    starts from, are read with queries compiled once per process.
    """
    queryset = AuditEvent.objects.for_tenant(tenant).order_by("-created_at", "-id")
    event_filter = AuditEventFilter(params or None, queryset=queryset)
    applied = event_filter.applied()
    if not applied:
        events = _PreparedEvents(per_page, tenant=tenant.pk)
    elif applied.keys() == {"action"}:
        events = _PreparedEvents(per_page, tenant=tenant.pk, action=applied["action"])
    else:
        events = event_filter.qs.values_list(*_ROW_VALUES)
    paginator = Paginator(events, per_page)
    # Counted here: the paginator would first inspect ``count``'s signature.
    paginator.count = events.count()
    page_obj = paginator.get_page(page)
    page_obj.object_list = [
        (pk, _event_time(created_at), *rest) for pk, created_at, *rest in page_obj.object_list
    ]
    return page_obj, event_filter


# The shapes read with prepared queries: each parameter with its type.
_PREPARED_SHAPES = {(): {"tenant": int}, ("action",): {"tenant": int, "action": str}}


def _events_of(tenant: int, action: str | None = None) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.for_tenant(tenant)
    return events if action is None else events.filter(action=action)


@functools.cache
def _prepared_count(shape: tuple[str, ...]) -> PreparedQuery:
    return PreparedQuery(
        lambda **values: (
            _events_of(**values).order_by().values_list(Func(F("pk"), function="COUNT"), flat=True)
        ),
        **_PREPARED_SHAPES[shape],
    )


# One query per page offset: LIMIT and OFFSET are written into the SQL.
@functools.lru_cache(maxsize=128)
def _prepared_rows(shape: tuple[str, ...], offset: int, limit: int) -> PreparedQuery:
    return PreparedQuery(
        lambda **values: (
            _events_of(**values)
            .order_by("-created_at", "-id")
            .values_list(*_ROW_VALUES)[offset : offset + limit]
        ),
        **_PREPARED_SHAPES[shape],
    )


class _PreparedEvents:
    """The audit events of one prepared shape, as a ``Paginator`` reads them: count and slices."""

    def __init__(self, per_page: int, **values: int | str) -> None:
        self.per_page = per_page
        self.values = values
        self.shape = tuple(name for name in values if name != "tenant")

    def count(self) -> int:
        return _prepared_count(self.shape)(**self.values)[0]

    def __getitem__(self, bounds: slice) -> list[tuple]:
        # A whole page is read (the last one may be shorter): one query per offset.
        rows = _prepared_rows(self.shape, bounds.start, self.per_page)(**self.values)
        return rows[: bounds.stop - bounds.start]


def global_admin_addresses(tenant: Tenant) -> list[str]:
    """Return the sign-in names of ``tenant``'s Global admins who can sign in, sorted.

    Whom changes that only a Global admin may undo are told to.
    """
    return sorted(
        User.objects.for_tenant(tenant)
        .active()
        .filter(role_assignments__role=GLOBAL_ADMIN, is_sign_in_blocked=False)
        .values_list("username", flat=True)
    )


def domains_reachable(actor: User) -> QuerySet[Domain]:
    """Return the domains ``actor`` may name by id: their organization's."""
    return Domain.objects.for_tenant(actor.tenant)


def access_domain_by_id(actor: User, domain_id: object) -> Domain:
    """Return the domain ``domain_id`` of ``actor``'s organization, or raise Http404.

    Another organization's id looks exactly like a missing one.
    """
    return object_or_404(domains_reachable(actor), domain_id)


def users_reachable(actor: User, *, deleted: bool = False) -> QuerySet[User]:
    """Return the users ``actor`` may name by id: their organization's, active or deleted.

    Every area that takes a person by id (a role, a group's members, a license)
    narrows its choices to this queryset, so another organization's user looks
    exactly like a missing one.
    """
    return users_reachable_in(actor.tenant_id, deleted=deleted)


def users_reachable_in(tenant_id: int, *, deleted: bool = False) -> QuerySet[User]:
    """Return ``users_reachable`` by the organization's id (for a prepared read)."""
    users = User.objects.for_tenant(tenant_id).select_related("tenant")
    return users.deleted() if deleted else users.active()
