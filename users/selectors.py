"""Reads for the Users area. Every read takes the tenant."""

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import django_filters
from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    OrderBy,
    OuterRef,
    Q,
    QuerySet,
    Value,
    Window,
)
from django.db.models.functions import Concat, Lower
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import AuditEvent, RoleAssignment, Tenant, User
from accounts.roles import (
    ADD_GROUPS,
    ASSIGN_ROLES,
    CHANGE_GROUPS,
    CHANGE_LICENSES,
    CHANGE_TENANT,
    GLOBAL_ADMIN,
    ROLE_CHOICES,
    ROLES,
    Role,
)
from accounts.selectors import home_counts, users_reachable, users_reachable_in
from billing import selectors as billing_selectors
from core.access import prepared_object_or_404
from core.filters import CharFilter, ChoiceFilter, KeptFormClassMixin
from core.pagecache import organization_cached
from core.prepared import PreparedQuery
from org_settings import selectors as org_settings_selectors
from security_info import selectors as security_info_selectors
from security_info.selectors import format_phone_international
from users.models import DeletedUser, ImportJob, ReleasedLicenses

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


def access_user_by_id(actor: User, user_id: object, *, deleted: bool = False) -> User:
    """Return the user ``user_id`` of ``actor``'s organization, or raise Http404.

    Active users only, or deleted ones only with ``deleted``. Another
    organization's id looks exactly like a missing one.
    """
    query = _DELETED_USER_BY_ID if deleted else _USER_BY_ID
    return prepared_object_or_404(query, user_id, tenant=actor.tenant_id)


# A user's page reads them by id on every visit, with their roles: compiled once per process.
_USER_BY_ID, _DELETED_USER_BY_ID = (
    PreparedQuery(
        lambda tenant, pk, deleted=deleted: (
            users_reachable_in(tenant, deleted=deleted).with_role_codes().filter(pk=pk)
        ),
        tenant=int,
        pk=int,
    )
    for deleted in (False, True)
)


def user_activity(*, tenant: Tenant, user: User, limit: int = 20) -> list[dict[str, Any]]:
    """Return the latest audit events done by or to ``user``, as rows.

    Each row has ``created_at``, ``action`` and ``actor_label``.
    """
    return _activity(limit)(tenant=tenant.pk, user=user.pk, target=str(user.pk))


@functools.cache
def _activity(limit: int) -> PreparedQuery:
    return PreparedQuery(
        lambda tenant, user, target: (
            AuditEvent.objects.for_tenant(tenant)
            .filter(Q(actor_id=user) | Q(target_type="accounts.user", target_id=target))
            .order_by("-created_at", "-id")
            .values("created_at", "action", "actor_label")[:limit]
        ),
        tenant=int,
        user=int,
        target=str,
    )


def _sort_choices() -> list[tuple[str, Promise]]:
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


class UserFilter(KeptFormClassMixin, django_filters.FilterSet):
    """The users list's search box, filters and sort, read from the query string."""

    q = CharFilter(
        label=_("Search"),
        method="search",
        max_length=SEARCH_MAX_LENGTH,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
        help_text=_("Name, sign-in name or alternate email."),
    )
    status = ChoiceFilter(
        label=_("Sign-in status"),
        choices=[("allowed", _("Sign-in allowed")), ("blocked", _("Sign-in blocked"))],
        empty_label=_("Any"),
        method="filter_status",
    )
    role = ChoiceFilter(
        label=_("Role"),
        choices=[(ANY_ROLE, _("Any admin role")), (NO_ROLE, _("No role")), *ROLE_CHOICES],
        empty_label=_("Everyone"),
        method="filter_role",
    )
    license = ChoiceFilter(
        label=_("Licenses"),
        choices=[("licensed", _("Licensed")), ("unlicensed", _("Unlicensed"))],
        empty_label=_("Any"),
        method="filter_license",
    )
    sort = ChoiceFilter(
        label=_("Sort by"),
        choices=_sort_choices,
        empty_label=None,
        method="order",
        widget=forms.HiddenInput,
    )

    class Meta:
        model = User
        fields = ["q", "status", "role", "license", "sort"]

    def __init__(
        self,
        data: Mapping[str, str] | None = None,
        queryset: QuerySet[User] | None = None,
        *,
        tenant: Tenant,
        **kwargs: Any,
    ) -> None:
        self.tenant = tenant
        super().__init__(data, queryset, **kwargs)
        # Without a queryset: the tenant's active users, built when ``qs`` is
        # first read (the list's usual pages are read without it).
        self._base_pending = queryset is None

    @property
    def qs(self) -> QuerySet[User]:
        if self._base_pending:
            self.queryset, self._base_pending = _active_users(self.tenant), False
        return super().qs

    def search(self, queryset: QuerySet[User], name: str, value: str) -> QuerySet[User]:
        terms = self.search_terms(value)
        return queryset if terms is None else queryset.filter(_search_condition(*terms))

    def search_terms(self, value: str) -> tuple[str, str, list[int]] | None:
        """Return what ``value`` searches: (text, lookup, ids by alternate email), or None.

        One query, for the alternate emails.
        """
        text = " ".join(value.split()).lower()
        if not text:
            return None
        prefix = len(text) < CONTAINS_MIN_LENGTH
        email_ids = security_info_selectors.user_ids_by_alternate_email(
            tenant=self.tenant, text=text, prefix=prefix
        )
        return text, "startswith" if prefix else "contains", email_ids

    def filter_status(self, queryset: QuerySet[User], name: str, value: str) -> QuerySet[User]:
        return queryset.filter(is_sign_in_blocked=value == "blocked")

    def filter_role(self, queryset: QuerySet[User], name: str, value: str) -> QuerySet[User]:
        if value == NO_ROLE:
            return queryset.filter(~_has_role())
        holders = RoleAssignment.objects.for_tenant(self.tenant)
        if value != ANY_ROLE:
            holders = holders.filter(role=value)
        # Admins are few: a list of them is cheaper than a subquery per user.
        return queryset.filter(pk__in=holders.values("user_id"))

    def filter_license(self, queryset: QuerySet[User], name: str, value: str) -> QuerySet[User]:
        holders = billing_selectors.licensed_user_ids(tenant=self.tenant)
        if value == "licensed":
            return queryset.filter(pk__in=holders)
        return queryset.exclude(pk__in=holders)

    def order(self, queryset: QuerySet[User], name: str, value: str) -> QuerySet[User]:
        return queryset  # applied by user_list() after filtering, with a default

    @property
    def sort_key(self) -> str:
        value = self.form.cleaned_data.get("sort") if self.is_bound and self.is_valid() else ""
        return value or DEFAULT_SORT

    @property
    def narrowed(self) -> bool:
        """Return whether any search or filter (not the sort) applies."""
        return bool(self.applied)

    @property
    def applied(self) -> set[str]:
        """Return the names of the search and filters in use."""
        if not self.is_bound or not self.is_valid():
            return set()
        data = self.form.cleaned_data
        return {name for name in ("q", "status", "role", "license") if data.get(name)}


def user_list(
    *, tenant: Tenant, params: Mapping[str, str] | None = None
) -> tuple[QuerySet[User], UserFilter]:
    """Return the tenant's active users filtered by ``params`` (unsorted), and the filter.

    The rows carry only what the list shows.
    """
    user_filter = user_list_filter(tenant=tenant, params=params)
    return user_filter.qs, user_filter


def user_list_filter(*, tenant: Tenant, params: Mapping[str, str] | None = None) -> UserFilter:
    """Return the list's filter over ``params``; its ``qs`` is built only when read.

    Sort and page with ``user_page``, which reads the usual pages without it.
    """
    return UserFilter(params or None, tenant=tenant)


def _search_condition(text: str | Value, lookup: str, email_ids: list[int]) -> Q:
    """Return the users a search matches: by name or sign-in name, or these ids."""
    condition = Q(**{f"name_lower__{lookup}": text}) | Q(**{f"username__{lookup}": text})
    if email_ids:
        condition |= Q(pk__in=email_ids)
    return condition


def _active_users(tenant: Tenant) -> QuerySet[User]:
    return (
        User.objects.for_tenant(tenant)
        .active()
        .alias(name_lower=Lower("display_name"))
        .only("id", "display_name", "username", "is_sign_in_blocked")
    )


def _has_role() -> Exists:
    """Return whether a user holds any role, as an expression over the user's row.

    Written where a filter or sort needs it, not aliased on every list: building
    the subquery costs more than the list's own query does.
    """
    return Exists(RoleAssignment.objects.filter(user_id=OuterRef("pk")))


def sort_expressions(sort_key: str, *, unindexed: bool = False) -> list[OrderBy]:
    """Return the ORDER BY expressions of ``sort_key``.

    ``unindexed`` wraps text and id columns so that PostgreSQL cannot walk the
    list's B-tree indexes in order: for a search that matches a few thousand of
    100,000 users, reading the matches through the trigram indexes and sorting
    them is ten times faster than walking every name in order until 50 match.
    """
    descending = sort_key.startswith("-")
    columns = []
    for name in SORTS[sort_key.lstrip("-")]:
        reverse = descending != name.startswith("-")
        name = name.lstrip("-")
        if name == "has_role":
            expression = _has_role()
        elif unindexed and name in ("name_lower", "username"):
            expression = Concat(name, Value(""))
        elif unindexed and name == "id":
            expression = F("id") + 0
        else:
            expression = F(name)
        columns.append(expression.desc() if reverse else expression.asc())
    return columns


def _page_number(value: str | int | None) -> int:
    try:
        return max(int(value), 1)
    except (TypeError, ValueError):
        return 1


class UserRow:
    """One row of the Active users list: the columns it shows, read as plain values.

    A page of model instances with their deferred fields costs more than the
    rest of the list's query; ``role_names`` and ``license_names`` are filled in
    by ``user_row_details``.
    """

    __slots__ = (
        "display_name",
        "is_sign_in_blocked",
        "license_names",
        "pk",
        "role_names",
        "username",
    )
    FIELDS = ("id", "display_name", "username", "is_sign_in_blocked")

    def __init__(self, pk: int, display_name: str, username: str, is_sign_in_blocked: bool):
        self.pk, self.display_name, self.username = pk, display_name, username
        self.is_sign_in_blocked = is_sign_in_blocked
        self.role_names = self.license_names = ""

    def __repr__(self) -> str:
        return f"<UserRow {self.pk}: {self.username}>"


def _rows(queryset: QuerySet[User]) -> list[UserRow]:
    return [UserRow(*values) for values in queryset.values_list(*UserRow.FIELDS)]


def user_page(
    *,
    tenant: Tenant,
    user_filter: UserFilter,
    page: str | int | None,
    per_page: int,
    facts: "UserListFacts | None" = None,
) -> Page:
    """Return one page (a Django ``Page`` of ``UserRow``) of the filtered list, sorted.

    The rows carry their role and license names (``user_row_details``). The
    total costs no extra COUNT(*) where it can be avoided:
    - the whole list, a sign-in status filter, or any role or no role: Home's
      cached counts, in ``facts`` (counting 100,000 rows on every page costs
      more than the rest of it), and the page with its roles and licenses is
      one prepared query (``_page_read``): nothing of the ORM is built for it;
    - a search or another filter: a window count over the matches, in the
      same query as the page; prepared (``_counted_read``) for a search, a
      role or a license filter by itself.
    A page past the end shows the last page.
    """
    facts = user_list_facts(tenant=tenant) if facts is None else facts
    number = _page_number(page)
    sort_key = user_filter.sort_key
    paginator = Paginator((), per_page)  # its count is set below, by each way of reading
    if sort_key.lstrip("-") in PARTITIONS:
        return _partitioned_page(tenant, user_filter, number, paginator, facts)
    side = _counted_side(user_filter, facts.counts)
    if side is not None:
        side, paginator.count = side
        number = min(number, paginator.num_pages)
        start = (number - 1) * per_page
        rows = _read_page(tenant, side, sort_key, start, start + per_page, facts)
        return Page(rows, number, paginator)

    shape = _counted_shape(user_filter)
    if shape is not None:
        shape, values = shape
        start = (number - 1) * per_page
        emails = len(values) - len(COUNTED_SHAPES[shape][1])
        read = _counted_read(shape, emails, sort_key, start, start + per_page)
        found = read(tenant=tenant.pk, **values)
        if found or number == 1:  # past the end: counted below, then the last page
            paginator.count = found[0][-1] if found else 0
            rows = [UserRow(*row[:-1]) for row in found]
            user_row_details(tenant=tenant, rows=rows, facts=facts)
            return Page(rows, number, paginator)

    queryset = user_filter.qs
    ordered = _counted(queryset, sort_key)

    def fetch(number: int) -> list[tuple]:
        start = (number - 1) * per_page
        return list(ordered[start : start + per_page])

    values = fetch(number)
    if values:
        paginator.count = values[0][-1]
    else:
        paginator.count = queryset.count() if number > 1 else 0
        if paginator.count:
            number = paginator.num_pages
            values = fetch(number)
    rows = [UserRow(*row[:-1]) for row in values]
    user_row_details(tenant=tenant, rows=rows, facts=facts)
    return Page(rows, number, paginator)


def _counted(queryset: QuerySet[User], sort_key: str) -> QuerySet:
    """Return ``queryset`` sorted, as ``UserRow`` fields and the number of matches (``total``)."""
    return (
        queryset.annotate(total=Window(Count("pk")))
        .order_by(*sort_expressions(sort_key, unindexed=True))
        .values_list(*UserRow.FIELDS, "total")
    )


def _counted_side(user_filter: UserFilter, counts: Mapping[str, int]) -> tuple[str, int] | None:
    """Return the side of ``SIDES`` the filter selects and its size in ``counts``, or None."""
    applied = user_filter.applied
    if not applied:
        return "everyone", counts["users"]
    if len(applied) > 1:
        return None
    value = user_filter.form.cleaned_data[next(iter(applied))]
    if applied == {"status"}:
        if value == "blocked":
            return "blocked", counts["blocked"]
        return "allowed", counts["users"] - counts["blocked"]
    if applied == {"role"} and value == ANY_ROLE:
        return "admins", counts["admins"]
    if applied == {"role"} and value == NO_ROLE:
        return "not admins", counts["users"] - counts["admins"]
    return None


def _licensed(tenant: Tenant | int) -> Q:
    return Q(pk__in=billing_selectors.licensed_user_ids(tenant=tenant))


# Searches and filters read with a window count through a prepared query: the
# condition over the tenant (or its id) and the values the query takes, and the
# values' types (a search also takes the ids it found by alternate email).
COUNTED_SHAPES = {
    "startswith": (
        lambda tenant, text, **email_ids: _search_condition(
            Value(text), "startswith", list(email_ids.values())
        ),
        {"text": str},
    ),
    "contains": (
        lambda tenant, text, **email_ids: _search_condition(
            Value(text), "contains", list(email_ids.values())
        ),
        {"text": str},
    ),
    "role": (
        lambda tenant, role: Q(
            pk__in=RoleAssignment.objects.for_tenant(tenant).filter(role=role).values("user_id")
        ),
        {"role": str},
    ),
    "licensed": (lambda tenant: _licensed(tenant), {}),
    "unlicensed": (lambda tenant: ~_licensed(tenant), {}),
}


def _counted_shape(user_filter: UserFilter) -> tuple[str, dict[str, Any]] | None:
    """Return the shape of ``COUNTED_SHAPES`` the filter asks for and its values, or None."""
    applied = user_filter.applied
    if len(applied) != 1:
        return None
    [name] = applied
    value = user_filter.form.cleaned_data[name]
    if name == "q":
        terms = user_filter.search_terms(value)
        if terms is None:
            return None
        text, lookup, email_ids = terms
        return lookup, {"text": text, **{f"email{n}": pk for n, pk in enumerate(email_ids)}}
    if name == "role":
        return "role", {"role": value}
    if name == "license":
        return value, {}
    return None


@functools.lru_cache(maxsize=256)
def _counted_read(shape: str, emails: int, sort_key: str, start: int, stop: int) -> PreparedQuery:
    """Return the read of rows ``start`` to ``stop`` of a shape, with the total, compiled once.

    ``emails``: how many ids a search found by alternate email. A search's
    text is a ``Value``: the database escapes it for LIKE, so that it reaches
    the SQL as it is and the query can be prepared (the pattern is still a
    constant to the planner, which folds it before choosing an index).
    """
    condition, parameters = COUNTED_SHAPES[shape]

    def build(tenant: int, **values: Any) -> QuerySet:
        users = _active_users(tenant).filter(condition(tenant, **values))
        return _counted(users, sort_key)[start:stop]

    emails_ids = dict.fromkeys((f"email{n}" for n in range(emails)), int)
    return PreparedQuery(build, tenant=int, **parameters, **emails_ids)


def _role_holders(tenant: Tenant | int) -> Q:
    return Q(pk__in=RoleAssignment.objects.for_tenant(tenant).values("user_id"))


# The parts of the list a page is read from: everyone, a sign-in status, and the
# sides of the sorts by a yes/no column (PARTITIONS). Each takes the tenant (or
# its id, when the read is prepared).
SIDES = {
    "everyone": lambda tenant: Q(),
    "blocked": lambda tenant: Q(is_sign_in_blocked=True),
    "allowed": lambda tenant: Q(is_sign_in_blocked=False),
    "admins": _role_holders,
    "not admins": lambda tenant: ~_role_holders(tenant),
}

# Sorts by a yes/no column: the side with few rows (admins, blocked users), the
# other side, and whether the few come first when sorting up. Both sides are
# then in name order. The last item names the few's count in Home's cached counts.
PARTITIONS = {
    "roles": ("admins", "not admins", True, "admins"),
    "status": ("blocked", "allowed", False, "blocked"),
}


def _partitioned_page(
    tenant: Tenant,
    user_filter: UserFilter,
    number: int,
    paginator: Paginator,
    facts: "UserListFacts",
) -> Page:
    """Return a page sorted by a yes/no column, then by name.

    Sorting 100,000 rows by a computed yes/no value takes a full scan and sort;
    instead the small side is counted and each side is read in name order
    through the list's index, taking from each what the page needs.
    """
    sort_key = user_filter.sort_key
    small_side, large_side, small_first, counted_as = PARTITIONS[sort_key.lstrip("-")]
    if sort_key.startswith("-"):
        small_first = not small_first
    narrowed = user_filter.narrowed
    if narrowed:
        queryset = user_filter.qs
        small = queryset.filter(SIDES[small_side](tenant))
        small_count, paginator.count = small.count(), queryset.count()
    else:
        small_count, paginator.count = facts.counts[counted_as], facts.counts["users"]
    number = min(number, paginator.num_pages)
    segments = [(small_side, small_count), (large_side, paginator.count - small_count)]
    if not small_first:
        segments.reverse()
    start, stop = (number - 1) * paginator.per_page, number * paginator.per_page
    rows, offset = [], 0
    by_name = sort_expressions(DEFAULT_SORT) if narrowed else None
    for side, size in segments:
        low, high = max(start - offset, 0), min(stop - offset, size)
        if low < high:
            if narrowed:
                segment = queryset.filter(SIDES[side](tenant)).order_by(*by_name)
                rows += _rows(segment[low:high])
            else:
                rows += _read_page(tenant, side, DEFAULT_SORT, low, high, facts)
        offset += size
    if narrowed:
        user_row_details(tenant=tenant, rows=rows, facts=facts)
    return Page(rows, number, paginator)


@functools.lru_cache(maxsize=512)
def _page_read(side: str, sort_key: str, start: int, stop: int) -> PreparedQuery:
    """Return the read of rows ``start`` to ``stop`` of ``side`` by ``sort_key``, compiled once.

    Rows of (the ``UserRow`` fields, a role code or None, a subscription id or
    None): the page's users, each joined to its roles and licenses (both scoped
    to the tenant), so a user has a row per role and license. The page and its
    details in one query, prepared: the list's usual pages cost no ORM at all.
    """

    def build(tenant: int) -> QuerySet:
        page = (
            _active_users(tenant)
            .filter(SIDES[side](tenant))
            .order_by(*sort_expressions(sort_key))
            .values("pk")[start:stop]
        )
        return (
            User.objects.filter(pk__in=page)
            .alias(
                name_lower=Lower("display_name"),
                roles=FilteredRelation(
                    "role_assignments", condition=Q(role_assignments__tenant_id=tenant)
                ),
                held=FilteredRelation("licenses", condition=Q(licenses__tenant_id=tenant)),
            )
            .order_by(*sort_expressions(sort_key))
            .values_list(*UserRow.FIELDS, "roles__role", "held__subscription_id")
        )

    return PreparedQuery(build, tenant=int)


def _read_page(
    tenant: Tenant, side: str, sort_key: str, start: int, stop: int, facts: "UserListFacts"
) -> list[UserRow]:
    """Return rows ``start`` to ``stop`` of ``side`` in ``sort_key`` order, with their details."""
    rows, roles, licenses = {}, {}, {}
    for pk, display_name, username, blocked, code, subscription_id in _page_read(
        side, sort_key, start, stop
    )(tenant=tenant.pk):
        if pk not in rows:
            rows[pk] = UserRow(pk, display_name, username, blocked)
        if code is not None:
            roles.setdefault(pk, set()).add(code)
        if subscription_id is not None:
            licenses.setdefault(pk, set()).add(subscription_id)
    page = list(rows.values())
    _name_details(page, roles, licenses, facts)
    return page


@dataclass(frozen=True)
class LicenseOption:
    """A live subscription the list's bulk license commands offer, with its free licenses."""

    pk: int
    product_name: str
    available: int


@dataclass(frozen=True)
class UserListFacts:
    """What the Active users list shows of the whole organization, beyond its rows."""

    # Every subscription's product name (a row's licenses name them), by the
    # subscription's id, in the order of the names.
    product_names: dict[int, str]
    # The live subscriptions, as the bulk license commands offer them.
    license_options: tuple[LicenseOption, ...]
    # How many Global admins can sign in (global_admin_count).
    global_admins: int
    # Home's counts (accounts.selectors.home_counts), the list's total.
    counts: dict[str, int]


USER_LIST_FACTS_SECONDS = 60
# The cache keeps UserListFacts pickled: a new name for each new shape of them,
# so that a node never reads what another version of the code kept.
USER_LIST_FACTS_KEY = "user-list-facts-1"


def user_list_facts(*, tenant: Tenant) -> UserListFacts:
    """Return the organization's ``UserListFacts``, kept until the organization changes.

    One read of the cache for the page. Like Home's counts
    (``accounts.selectors.home_counts``, which they carry): a license assigned,
    a role given or a user blocked is a change of the organization, so the list
    reads them afresh; the product catalogue (the operators') within a minute.
    """
    return organization_cached(
        tenant.pk,
        USER_LIST_FACTS_KEY,
        lambda: _user_list_facts(tenant),
        timeout=USER_LIST_FACTS_SECONDS,
    )


def _user_list_facts(tenant: Tenant) -> UserListFacts:
    subscriptions = list(
        billing_selectors.subscription_list(tenant=tenant)
        .order_by("product__name", "id")
        .values_list("id", "status", "product__name", "available")
    )
    live = [row for row in subscriptions if billing_selectors.subscription_is_live(row[1])]
    live.sort(key=lambda row: row[1])  # as live_subscriptions: by status, then name (stable)
    return UserListFacts(
        product_names={pk: name for pk, _status, name, _available in subscriptions},
        license_options=tuple(
            LicenseOption(pk, name, available) for pk, _s, name, available in live
        ),
        global_admins=global_admin_count(tenant=tenant),
        counts=home_counts(tenant=tenant),
    )


@functools.cache
def _row_details(count: int) -> PreparedQuery:
    """Return the read of ``user_row_details`` for a page of ``count`` users, compiled once.

    Rows of (user id, role code or None, subscription id or None): each table
    by itself, scoped to the tenant, in one query.
    """
    names = [f"user{n}" for n in range(count)]

    def build(tenant: int, **users: int) -> QuerySet:
        ids = list(users.values())
        roles = RoleAssignment.objects.filter(tenant_id=tenant, user_id__in=ids).values_list(
            "user_id", "role", Value(None, output_field=IntegerField())
        )
        licenses = billing_selectors.licenses_of_users(tenant_id=tenant, user_ids=ids).values_list(
            "user_id", Value(None, output_field=CharField()), "subscription_id"
        )
        return roles.union(licenses, all=True)

    return PreparedQuery(build, tenant=int, **dict.fromkeys(names, int))


def user_row_details(*, tenant: Tenant, rows: list[UserRow], facts: UserListFacts) -> None:
    """Set the ``role_names`` and ``license_names`` of a page of ``rows``, in one query.

    Both as ``roles_by_user`` and ``billing.selectors.product_names_by_user``
    give them: roles in the order of their codes, products by name. The query is
    compiled once per page size (``core.prepared``): it runs for every page of
    the list, and building and compiling it cost three times what running it does.
    """
    if not rows:
        return
    ids = [row.pk for row in rows]
    roles, licenses = {}, {}
    read = _row_details(len(ids))
    for user_id, code, subscription_id in read(
        tenant=tenant.pk, **{f"user{n}": pk for n, pk in enumerate(ids)}
    ):
        if code is not None:
            roles.setdefault(user_id, []).append(code)
        else:
            licenses.setdefault(user_id, []).append(subscription_id)
    _name_details(rows, roles, licenses, facts)


def _name_details(
    rows: list[UserRow],
    roles: Mapping[int, Iterable[str]],
    licenses: Mapping[int, Iterable[int]],
    facts: UserListFacts,
) -> None:
    """Set the ``role_names`` and ``license_names`` of ``rows`` from codes and subscriptions."""
    names = facts.product_names
    rank = {pk: index for index, pk in enumerate(names)}
    for row in rows:
        codes, held = roles.get(row.pk), licenses.get(row.pk)
        if codes:
            row.role_names = ", ".join(str(ROLES[code].name) for code in sorted(codes))
        if held:
            # A subscription newer than the facts (they follow within a request) is left out.
            held = sorted((pk for pk in held if pk in rank), key=rank.__getitem__)
            row.license_names = ", ".join(names[pk] for pk in held)


def roles_by_user(*, tenant: Tenant, user_ids: Iterable[int] | None) -> dict[int, list[str]]:
    """Return ``{user id: [role names]}`` for ``user_ids``, or everyone with None (one query)."""
    result = {}
    assignments = RoleAssignment.objects.for_tenant(tenant)
    if user_ids is not None:
        assignments = assignments.filter(user_id__in=user_ids)
    for user_id, code in assignments.order_by("role").values_list("user_id", "role"):
        result.setdefault(user_id, []).append(str(ROLES[code].name))
    return result


def deleted_user_list(*, tenant: Tenant, search: str = "") -> QuerySet[DeletedUser]:
    """Return the tenant's deleted users, most recently deleted first, matching ``search``."""
    users = DeletedUser.objects.for_tenant(tenant).only(
        "id", "display_name", "deleted_username", "deleted_at", "tenant_id"
    )
    if search:
        users = users.filter(
            Q(display_name__icontains=search) | Q(deleted_username__icontains=search)
        )
    return users.order_by("-deleted_at", "-id")


def import_jobs(*, tenant: Tenant) -> QuerySet[ImportJob]:
    """Return the tenant's CSV imports, newest first."""
    return ImportJob.objects.for_tenant(tenant).select_related("created_by")


ROLE_HOLDERS_SHOWN = 50


def role_overview(*, tenant: Tenant) -> list[dict[str, Role | list[User] | int]]:
    """Return every role with its active holders (the first ``ROLE_HOLDERS_SHOWN``) and count.

    Admins are few: one query reads every assignment of the tenant.
    """
    holders = {code: [] for code in ROLES}
    for assignment in (
        RoleAssignment.objects.for_tenant(tenant)
        .filter(user__deleted_at__isnull=True)
        .select_related("user")
        .only("role", "user__id", "user__display_name", "user__username", "user__tenant_id")
        .order_by("user__display_name", "user__id")
    ):
        if assignment.role in holders:
            holders[assignment.role].append(assignment.user)
    return [
        {
            "role": role,
            "holders": holders[role.code][:ROLE_HOLDERS_SHOWN],
            "count": len(holders[role.code]),
        }
        for role in ROLES.values()
    ]


def global_admin_count(*, tenant: Tenant) -> int:
    """Return how many Global admins of ``tenant`` can sign in (active, not blocked or deleted).

    The same count that accounts.services.global_admins_keep guards.
    """
    return (
        RoleAssignment.objects.for_tenant(tenant)
        .filter(
            role=GLOBAL_ADMIN,
            user__is_active=True,
            user__is_sign_in_blocked=False,
            user__deleted_at__isnull=True,
        )
        .count()
    )


def released_license_names(*, tenant: Tenant, user: User) -> list[str]:
    """Return the names of the products whose licenses deleted ``user`` held."""
    record = ReleasedLicenses.objects.for_tenant(tenant).filter(user=user).first()
    return record.product_names if record is not None else []


def contact_rows(user: User) -> list[tuple[Promise, str]]:
    """Return ``user``'s contact information as ``(label, text)`` pairs, every field shown.

    In the order of the CSV import's columns; a mobile phone in international
    format ("+31 6 12345678"), as people read it.
    """
    details = user.contact_details or {}
    mobile = details.get("mobile_phone", "")
    return [
        (_("Mobile phone"), format_phone_international(mobile) if mobile else ""),
        (_("Alternate email address"), details.get("alternate_email", "")),
        (_("Fax"), details.get("fax", "")),
        (_("Street address"), details.get("address", "")),
        (_("City"), details.get("city", "")),
        (_("State or province"), details.get("state_or_province", "")),
        (_("ZIP or postal code"), details.get("postal_code", "")),
    ]


@dataclass(frozen=True)
class PeopleSource:
    """The people a picker offers: who may ask (``permission``) and whom (``people(actor)``)."""

    permission: str
    people: Callable[[User], QuerySet[User]]


# Every people picker names one of these (its field's queryset is the same
# selector); the search endpoint resolves the name here, never from the client.
PEOPLE_SOURCES: Mapping[str, PeopleSource] = {
    "roles": PeopleSource(ASSIGN_ROLES, users_reachable),
    "group_people": PeopleSource(CHANGE_GROUPS, users_reachable),
    "group_owners": PeopleSource(ADD_GROUPS, users_reachable),
    "early_release": PeopleSource(CHANGE_TENANT, org_settings_selectors.release_users_reachable),
    "licenses": PeopleSource(CHANGE_LICENSES, users_reachable),
}


def people_source(name: str) -> PeopleSource | None:
    """Return the people source called ``name``, or None."""
    return PEOPLE_SOURCES.get(name)
