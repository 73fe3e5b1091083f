"""Reads for the Users area. Every read takes the tenant."""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from accounts.models import AuditEvent, RoleAssignment, User
from accounts.roles import ROLE_CHOICES, ROLES
from accounts.selectors import home_counts
from security_info import selectors as security_info_selectors

# Searches shorter than this match at the start of a name only: a "contains"
# match of one or two letters matches nearly everyone and cannot use an index.
CONTAINS_MIN_LENGTH = 3
SEARCH_MAX_LENGTH = 100
PAGE_SIZES = (50, 100, 200)

NO_ROLE = "none"
ANY_ROLE = "any"

# sort key -> ORDER BY; "-key" sorts descending. Each ends in a unique column so
# that pages never overlap.
SORTS = {
    "name": ("name_lower", "id"),
    "username": ("username",),
    "roles": ("-has_role", "name_lower", "id"),
    "status": ("is_sign_in_blocked", "name_lower", "id"),
}
DEFAULT_SORT = "name"


def user_get(*, tenant, pk):
    """Return the tenant's user ``pk`` (deleted ones too), or raise User.DoesNotExist."""
    return User.objects.for_tenant(tenant).select_related("tenant").get(pk=pk)


def user_activity(*, tenant, user, limit=20):
    """Return the latest audit events done by or to ``user``."""
    return list(
        AuditEvent.objects.for_tenant(tenant)
        .filter(Q(actor_id=user.pk) | Q(target_type="accounts.user", target_id=str(user.pk)))
        .only("id", "created_at", "actor_label", "action", "target_label")
        .order_by("-created_at", "-id")[:limit]
    )


def _sort_choices():
    labels = {
        "name": _("Display name"),
        "username": _("Sign-in name"),
        "roles": _("Roles"),
        "status": _("Sign-in status"),
    }
    choices = []
    for key, label in labels.items():
        choices += [(key, label), (f"-{key}", label)]
    return choices


class UserFilter(django_filters.FilterSet):
    """The users list's search box, filters and sort, read from the query string."""

    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        max_length=SEARCH_MAX_LENGTH,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
        help_text=_("Name, sign-in name or alternate email."),
    )
    status = django_filters.ChoiceFilter(
        label=_("Sign-in status"),
        choices=[("allowed", _("Sign-in allowed")), ("blocked", _("Sign-in blocked"))],
        empty_label=_("Any"),
        method="filter_status",
    )
    role = django_filters.ChoiceFilter(
        label=_("Role"),
        choices=[(ANY_ROLE, _("Any admin role")), (NO_ROLE, _("No role")), *ROLE_CHOICES],
        empty_label=_("Everyone"),
        method="filter_role",
    )
    sort = django_filters.ChoiceFilter(
        label=_("Sort by"),
        choices=_sort_choices,
        empty_label=None,
        method="order",
        widget=forms.HiddenInput,
    )

    class Meta:
        model = User
        fields = ["q", "status", "role", "sort"]

    def __init__(self, data=None, *args, tenant, **kwargs):
        self.tenant = tenant
        super().__init__(data, *args, **kwargs)

    def search(self, queryset, name, value):
        text = " ".join(value.split()).lower()
        if not text:
            return queryset
        prefix = len(text) < CONTAINS_MIN_LENGTH
        lookup = "startswith" if prefix else "contains"
        condition = Q(**{f"name_lower__{lookup}": text}) | Q(**{f"username__{lookup}": text})
        email_ids = security_info_selectors.user_ids_by_alternate_email(
            tenant=self.tenant, text=text, prefix=prefix
        )
        if email_ids:
            condition |= Q(pk__in=email_ids)
        return queryset.filter(condition)

    def filter_status(self, queryset, name, value):
        return queryset.filter(is_sign_in_blocked=value == "blocked")

    def filter_role(self, queryset, name, value):
        if value == NO_ROLE:
            return queryset.filter(has_role=False)
        if value == ANY_ROLE:
            return queryset.filter(has_role=True)
        return queryset.filter(
            Exists(RoleAssignment.objects.filter(user_id=OuterRef("pk"), role=value))
        )

    def order(self, queryset, name, value):
        return queryset  # applied by user_list() after filtering, with a default

    @property
    def sort_key(self):
        value = self.form.cleaned_data.get("sort") if self.is_bound and self.is_valid() else ""
        return value or DEFAULT_SORT

    @property
    def narrowed(self):
        """Return whether any search or filter (not the sort) applies."""
        if not self.is_bound or not self.is_valid():
            return False
        data = self.form.cleaned_data
        return any(data.get(name) for name in ("q", "status", "role"))


def user_list(*, tenant, params=None):
    """Return the tenant's active users filtered and sorted by ``params``, and the filter.

    The rows carry only what the list shows; ``has_role`` is annotated for the
    role filter and sort.
    """
    queryset = (
        User.objects.for_tenant(tenant)
        .active()
        .alias(name_lower=Lower("display_name"))
        .annotate(has_role=Exists(RoleAssignment.objects.filter(user_id=OuterRef("pk"))))
        .only("id", "display_name", "username", "is_sign_in_blocked")
    )
    user_filter = UserFilter(params or None, queryset=queryset, tenant=tenant)
    queryset = user_filter.qs
    key = user_filter.sort_key
    descending = key.startswith("-")
    columns = SORTS[key.lstrip("-")]
    if descending:
        columns = tuple(c[1:] if c.startswith("-") else f"-{c}" for c in columns)
    return queryset.order_by(*columns), user_filter


def user_total(*, tenant, queryset, user_filter):
    """Return how many users ``queryset`` holds.

    The unfiltered total is Home's cached count: counting 100,000 rows on every
    page costs more than the rest of the page. Filtered totals are exact.
    """
    if not user_filter.narrowed:
        return home_counts(tenant=tenant)["users"]
    return queryset.count()


def roles_by_user(*, tenant, user_ids):
    """Return ``{user id: [role names]}`` for ``user_ids``, or everyone with None (one query)."""
    result = {}
    assignments = RoleAssignment.objects.for_tenant(tenant)
    if user_ids is not None:
        assignments = assignments.filter(user_id__in=user_ids)
    for user_id, code in assignments.order_by("role").values_list("user_id", "role"):
        result.setdefault(user_id, []).append(str(ROLES[code].name))
    return result
