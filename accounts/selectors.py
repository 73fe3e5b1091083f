"""Reads on the shared model. Every read takes the tenant."""

import django_filters
from django import forms
from django.db.models import Count, Q, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from accounts.audit import ACTION_LABELS
from accounts.models import AuditEvent, Domain, RoleAssignment, Tenant, User
from core.access import object_or_404
from core.form_renderer import KeptChoices
from core.pagecache import organization_cached

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


class AuditEventFilter(django_filters.FilterSet):
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

    def get_form_class(self) -> type[forms.Form]:
        # django-filters makes a form class for every filter set; these fields are
        # the same for every request (no queryset, lazy labels), so it is made once.
        cls = type(self)
        if "_form_class" not in cls.__dict__:
            cls._form_class = super().get_form_class()
        return cls._form_class


def audit_event_list(
    *, tenant: Tenant, params: QueryDict | None = None
) -> tuple[QuerySet[AuditEvent], "AuditEventFilter"]:
    """Return the tenant's audit events, newest first, filtered by ``params``.

    Also returns the bound filter (for its form and errors).
    """
    queryset = AuditEvent.objects.for_tenant(tenant).order_by("-created_at", "-id")
    event_filter = AuditEventFilter(params or None, queryset=queryset)
    return event_filter.qs, event_filter


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
