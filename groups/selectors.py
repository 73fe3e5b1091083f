"""Reads of the Groups area. Every read takes the tenant."""

import functools
from collections.abc import Iterable, Mapping
from typing import Any

import django_filters
from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Lower
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import Tenant, User
from core.access import object_or_404
from core.filters import CharFilter, ChoiceFilter, KeptFormClassMixin, page_number
from core.prepared import PreparedQuery, count_of
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


class GroupFilter(KeptFormClassMixin, django_filters.FilterSet):
    """The groups list's search box, type filter and sort, read from the query string."""

    q = CharFilter(
        label=_("Search"),
        method="search",
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
        help_text=_("Name or email address."),
    )
    kind = ChoiceFilter(label=_("Type"), choices=Kind.choices, empty_label=_("Any"))
    sort = ChoiceFilter(
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
    group_filter = GroupFilter(params or None, queryset=_active_groups(tenant))
    return group_filter.qs, group_filter


def _active_groups(tenant: Tenant | int) -> QuerySet[Group]:
    """Return the tenant's active groups, each with ``member_count``, its active members."""
    return (
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


class GroupRow:
    """One row of the Active groups list: the columns it shows, read as plain values.

    A page of model instances (every field of the group) costs more than the
    rest of the list's query; the view adds ``kind_label`` and ``member_text``.
    """

    __slots__ = ("email", "kind", "kind_label", "member_count", "member_text", "name", "pk")
    FIELDS = ("id", "name", "kind", "email", "member_count")

    def __init__(self, pk: int, name: str, kind: str, email: str, member_count: int):
        self.pk, self.name, self.kind, self.email = pk, name, kind, email
        self.member_count = member_count
        self.kind_label = self.member_text = ""

    def __repr__(self) -> str:
        return f"<GroupRow {self.pk}: {self.name}>"


def group_list_filter(params: Mapping[str, str] | None = None) -> GroupFilter:
    """Return the list's filter of ``params``, to validate and show them; not to read rows.

    Its ``qs`` is empty: ``group_page`` reads the tenant's rows.
    """
    return GroupFilter(params or None, queryset=Group.objects.none())


def group_page(
    *,
    tenant: Tenant,
    group_filter: GroupFilter,
    sort_key: str,
    page: str | int | None,
    per_page: int,
) -> Page:
    """Return one page (a Django ``Page`` of ``GroupRow``) of the list, with its total.

    As ``Paginator.get_page`` gives it: a page number that is not one gives the
    first page, a page out of range the last. Without a search the page and the
    total come from one read compiled once per sort, filter and page
    (``core.prepared``); a search filters with the ORM, as ``group_list`` does.
    """
    paginator = Paginator((), per_page)
    data = {}
    if group_filter.is_bound:
        group_filter.is_valid()  # cleans the form: the valid fields filter, as FilterSet.qs does
        data = group_filter.form.cleaned_data
    if data.get("q"):
        return _searched_page(tenant, group_filter, sort_key, page, paginator)
    kind = data.get("kind") or ""
    params = {"tenant": tenant.pk, "kind": kind} if kind else {"tenant": tenant.pk}
    number = page_number(page)

    def read(number: int) -> list[tuple]:
        start = (number - 1) * per_page
        return _page_read(sort_key, bool(kind), start, start + per_page)(**params)

    values = read(number) if number >= 1 else []
    if values:
        paginator.count = values[0][-1]
    else:
        # An empty list, or a page out of range: Paginator.get_page gives the last one.
        paginator.count = 0 if number == 1 else _count_read(bool(kind))(**params)[0]
        number = paginator.num_pages
        if paginator.count:
            values = read(number)
    return Page([GroupRow(*row[:-1]) for row in values], number, paginator)


def _ordered(groups: QuerySet[Group], sort_key: str) -> QuerySet[Group]:
    columns = SORTS[sort_key.lstrip("-")]
    if sort_key.startswith("-"):
        columns = tuple(f"-{column}" for column in columns)
    return groups.order_by(*columns)


@functools.lru_cache(maxsize=512)
def _page_read(sort_key: str, by_kind: bool, start: int, stop: int) -> PreparedQuery:
    """Return the read of one page's rows and the list's total, compiled once.

    Rows of ``GroupRow.FIELDS`` and the total of the list (of one type with
    ``by_kind``), sorted by ``sort_key``, from ``start`` to ``stop``.
    """

    def build(tenant: int, kind: str | None = None) -> QuerySet:
        groups = _active_groups(tenant)
        counted = Group.objects.filter(tenant_id=tenant, deleted_at__isnull=True)
        if by_kind:
            groups, counted = groups.filter(kind=kind), counted.filter(kind=kind)
        rows = _ordered(groups.annotate(total=count_of(counted)), sort_key)
        return rows.values_list(*GroupRow.FIELDS, "total")[start:stop]

    return PreparedQuery(build, tenant=int, **({"kind": str} if by_kind else {}))


@functools.cache
def _count_read(by_kind: bool) -> PreparedQuery:
    """Return the read of the list's total (of one type with ``by_kind``), compiled once."""

    def build(tenant: int, kind: str | None = None) -> QuerySet:
        counted = Group.objects.filter(tenant_id=tenant, deleted_at__isnull=True)
        if by_kind:
            counted = counted.filter(kind=kind)
        return Tenant.objects.filter(pk=tenant).values_list(count_of(counted), flat=True)

    return PreparedQuery(build, tenant=int, **({"kind": str} if by_kind else {}))


def _searched_page(
    tenant: Tenant,
    group_filter: GroupFilter,
    sort_key: str,
    page: str | int | None,
    paginator: Paginator,
) -> Page:
    """Return the page of a search, read with the ORM (its pattern cannot be prepared)."""
    groups = _ordered(group_filter.filter_queryset(_active_groups(tenant)), sort_key)
    paginator.object_list = groups.values_list(*GroupRow.FIELDS)
    found = paginator.get_page(page)
    return Page([GroupRow(*row) for row in found.object_list], found.number, paginator)


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
