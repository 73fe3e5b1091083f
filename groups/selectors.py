"""Reads of the Groups area. Every read takes the tenant."""

from collections.abc import Iterable, Mapping
from typing import Any

import django_filters
from django import forms
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Lower
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import Tenant, User
from core.access import object_or_404
from core.prepared import PreparedQuery
from groups.models import Group, Kind, Membership


def groups_reachable(actor: User, *, deleted: bool = False) -> QuerySet[Group]:
    """Return the groups ``actor`` may name by id: their organization's, active or deleted."""
    groups = Group.objects.for_tenant(actor.tenant)
    return groups.filter(deleted_at__isnull=not deleted)


def access_group_by_id(actor: User, group_id: object, *, deleted: bool = False) -> Group:
    """Return the group ``group_id`` of ``actor``'s organization, or raise Http404.

    Active groups only, or deleted ones only with ``deleted``. Another
    organization's id looks exactly like a missing one.
    """
    return object_or_404(groups_reachable(actor, deleted=deleted), group_id)


def _sort_choices() -> list[tuple[str, Promise]]:
    labels = {"name": _("Name"), "kind": _("Type"), "email": _("Email"), "members": _("Members")}
    return [pair for key, label in labels.items() for pair in ((key, label), (f"-{key}", label))]


SORTS = {
    "name": ("name_lower", "id"),
    "kind": ("kind", "name_lower", "id"),
    "email": ("email", "id"),
    "members": ("member_count", "name_lower", "id"),
}


class GroupFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
        help_text=_("Name or email address."),
    )
    kind = django_filters.ChoiceFilter(label=_("Type"), choices=Kind.choices, empty_label=_("Any"))
    sort = django_filters.ChoiceFilter(
        label=_("Sort by"),
        choices=_sort_choices,
        empty_label=None,
        method="order",
        widget=forms.HiddenInput,
    )

    class Meta:
        model = Group
        fields = ["q", "kind", "sort"]

    def search(self, queryset: QuerySet[Group], name: str, value: str) -> QuerySet[Group]:
        text = " ".join(value.split()).lower()
        if not text:
            return queryset
        return queryset.filter(Q(name_lower__contains=text) | Q(email__contains=text))

    def order(self, queryset: QuerySet[Group], name: str, value: str) -> QuerySet[Group]:
        return queryset

    @property
    def sort_key(self) -> str:
        value = self.form.cleaned_data.get("sort") if self.is_bound and self.is_valid() else ""
        return value or "name"

    @property
    def narrowed(self) -> bool:
        if not self.is_bound or not self.is_valid():
            return False
        return bool(self.form.cleaned_data.get("q") or self.form.cleaned_data.get("kind"))


def groups_filtered(
    *, tenant: Tenant, params: Mapping[str, str] | None = None
) -> tuple[QuerySet[Group], GroupFilter]:
    """Return the tenant's active groups filtered by ``params`` (unsorted), and the filter.

    Each group carries ``member_count``, its active members. Sort with ``SORTS``.
    """
    queryset = (
        Group.objects.for_tenant(tenant)
        .filter(deleted_at__isnull=True)
        .alias(name_lower=Lower("name"))
        .annotate(
            member_count=Count(
                "memberships",
                filter=Q(
                    memberships__role=Membership.Role.MEMBER,
                    memberships__user__deleted_at__isnull=True,
                ),
            )
        )
    )
    group_filter = GroupFilter(params or None, queryset=queryset)
    return group_filter.qs, group_filter


def group_list(
    *, tenant: Tenant, params: Mapping[str, str] | None = None
) -> tuple[QuerySet[Group], GroupFilter]:
    """Return the tenant's active groups filtered and sorted by ``params``, and the filter."""
    groups, group_filter = groups_filtered(tenant=tenant, params=params)
    key = group_filter.sort_key
    columns = SORTS[key.lstrip("-")]
    if key.startswith("-"):
        columns = tuple(f"-{column}" for column in columns)
    return groups.order_by(*columns), group_filter


def group_people(*, tenant: Tenant, group: Group, role: str) -> QuerySet[User]:
    """Return the active users who are ``role`` (member or owner) of ``group``, by name."""
    return (
        User.objects.for_tenant(tenant)
        .active()
        .filter(group_memberships__group=group, group_memberships__role=role)
        .only("id", "display_name", "username")
        .order_by("display_name", "id")
    )


def groups_of_user(*, tenant: Tenant, user: User) -> list[dict[str, Any]]:
    """Return ``user``'s memberships of active groups, by group name, as rows.

    Each row has the membership's ``id``, the ``group_id``, ``group_name`` and
    the translated ``role_label`` and ``kind_label``. One query, no model instances.
    """
    rows = _MEMBERSHIPS(tenant=tenant.pk, user=user.pk)
    roles, kinds = dict(Membership.Role.choices), dict(Kind.choices)
    return [
        {**row, "role_label": roles.get(row["role"]), "kind_label": kinds.get(row["kind"])}
        for row in rows
    ]


_MEMBERSHIPS = PreparedQuery(
    lambda tenant, user: (
        Membership.objects.for_tenant(tenant)
        .filter(user_id=user, group__deleted_at__isnull=True)
        .order_by(Lower("group__name"), "role")
        .values("id", "group_id", "role", group_name=F("group__name"), kind=F("group__kind"))
    ),
    tenant=int,
    user=int,
)


def deleted_groups(*, tenant: Tenant) -> QuerySet[Group]:
    return (
        Group.objects.for_tenant(tenant)
        .filter(deleted_at__isnull=False)
        .order_by("-deleted_at", "-id")
    )


class DeletedGroupFilter(django_filters.FilterSet):
    """The deleted groups list has no search or filter: the groups are few, newest first."""

    class Meta:
        model = Group
        fields = []


def deleted_group_list(
    *, tenant: Tenant, params: Mapping[str, str] | None = None
) -> tuple[QuerySet[Group], DeletedGroupFilter]:
    """Return the tenant's deleted groups, newest first, and the (empty) filter of their list."""
    groups = deleted_groups(tenant=tenant)
    return groups, DeletedGroupFilter(params or None, queryset=groups)


def group_addresses_in(emails: Iterable[str]) -> dict[str, int]:
    """Return ``{address: tenant id}`` of the groups that have one of ``emails``."""
    return dict(Group.objects.filter(email__in=list(emails)).values_list("email", "tenant_id"))


def groups_on_domain(domain_name: str) -> int:
    """Return how many groups (deleted ones too, for their old address) use ``domain_name``."""
    suffix = f"@{domain_name}"
    return Group.objects.filter(
        Q(email__endswith=suffix) | Q(deleted_email__endswith=suffix)
    ).count()


def count_by_kind(*, tenant: Tenant) -> list[tuple[str, int]]:
    """Return [(kind label, active groups)] for every kind."""
    counts = dict(
        Group.objects.for_tenant(tenant)
        .filter(deleted_at__isnull=True)
        .values("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    return [(str(label), counts.get(value, 0)) for value, label in Kind.choices]
