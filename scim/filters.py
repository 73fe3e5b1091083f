"""SCIM filters (RFC 7644, section 3.4.2.2) as Django ``Q`` objects.

scim2-models parses the filter; this walks its tree and turns every comparison
into a condition on the portal's own columns, so a filter runs as one query on
SQLite and PostgreSQL alike. Attribute names are matched case-insensitively,
and a comparison is case-insensitive unless the attribute is ``caseExact``
(``id``, ``externalId``, a member's ``value``). A ``userName eq`` compares the
normalized sign-in name exactly, which the unique index on it answers.

A standard attribute the portal does not keep (``emails``...) has no value:
a comparison or ``pr`` on it matches nothing. An attribute no schema of the
resource type names is an ``invalidFilter`` error, as are a value of the wrong
type and an operator the attribute's type does not take.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import CharField, Exists, F, OuterRef, Q
from django.db.models.expressions import Value
from django.db.models.functions import Cast, Concat, Left, Lower, Right, StrIndex
from django.db.models.lookups import (
    Exact,
    GreaterThan,
    GreaterThanOrEqual,
    LessThan,
    LessThanOrEqual,
)
from django.utils.dateparse import parse_datetime
from django.utils.timezone import is_naive, make_aware
from scim2_models import ScimFilter
from scim2_models.exceptions import SCIMException
from scim2_models.path import (
    AttrPath,
    CompareOperator,
    Comparison,
    FilterNode,
    FilterVisitor,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
)

from accounts.models import UserManager
from groups.models import Membership
from scim import schema
from scim.errors import ScimError, storable

NOTHING = Q(pk__in=[])
EVERYTHING = ~Q(pk__in=[])

ORDERING = {
    CompareOperator.gt: GreaterThan,
    CompareOperator.ge: GreaterThanOrEqual,
    CompareOperator.lt: LessThan,
    CompareOperator.le: LessThanOrEqual,
}


@dataclass(frozen=True)
class Column:
    """Where an attribute's value lives, and how it compares.

    ``kind`` is one of: ``text`` (case-insensitive), ``exact`` (case-exact
    text), ``username`` (the normalized sign-in name), ``id`` (a primary or
    foreign key shown as text), ``active`` (the inverse of the blocked flag),
    ``time``, ``constant`` (one value, present when ``present`` holds), or
    ``absent`` (not kept: no value).
    """

    kind: str
    field: str = ""
    constant: str = ""
    present: Q | None = None
    prefix: str = ""  # of an id: a group's is "g" and its number


ABSENT = Column("absent")

USER_COLUMNS = {
    ("id", None): Column("id", "pk"),
    ("username", None): Column("username", "username"),
    ("externalid", None): Column("exact", "external_id"),
    ("displayname", None): Column("text", "display_name"),
    ("name", "givenname"): Column("text", "first_name"),
    ("name", "familyname"): Column("text", "last_name"),
    ("title", None): Column("text", "job_title"),
    ("department", None): Column("text", "department"),
    ("active", None): Column("active", "is_sign_in_blocked"),
    ("meta", "created"): Column("time", "date_joined"),
}
PHONE_COLUMNS = {
    ("value", None): Column("text", "business_phone"),
    ("type", None): Column("constant", constant="work", present=~Q(business_phone="")),
}

GROUP_COLUMNS = {
    ("id", None): Column("id", "pk", prefix="g"),
    ("externalid", None): Column("exact", "external_id"),
    ("displayname", None): Column("text", "name"),
    ("meta", "created"): Column("time", "created_at"),
}
# Conditions on a group's Membership rows (members[...] and members.x).
MEMBER_COLUMNS = {
    ("value", None): Column("id", "user_id"),
    ("type", None): Column("constant", constant="User", present=EVERYTHING),
}


def _text(value: Any) -> str:
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        raise ScimError(400, "invalidFilter", "The attribute compares with a string.")
    text = str(value)
    if not storable(text):
        raise ScimError(400, "invalidFilter", "A value holds a character no text may hold.")
    return text


def _moment(value: Any) -> datetime:
    try:
        moment = parse_datetime(value) if isinstance(value, str) else None
        if moment is not None:
            moment = make_aware(moment) if is_naive(moment) else moment
            moment.astimezone(UTC)  # within the calendar in UTC too
    except (ValueError, OverflowError):
        moment = None
    if moment is None:
        raise ScimError(400, "invalidFilter", "The attribute compares with a date and time.")
    return moment


def _compare_constant(constant: str, op: CompareOperator, value: Any) -> bool:
    value = _text(value).lower()
    constant = constant.lower()
    return {
        CompareOperator.eq: constant == value,
        CompareOperator.ne: constant != value,
        CompareOperator.co: value in constant,
        CompareOperator.sw: constant.startswith(value),
        CompareOperator.ew: constant.endswith(value),
        CompareOperator.gt: constant > value,
        CompareOperator.ge: constant >= value,
        CompareOperator.lt: constant < value,
        CompareOperator.le: constant <= value,
    }[op]


def _compare(column: Column, op: CompareOperator, value: Any) -> Q:
    """The condition ``<column> <op> <value>``."""
    if column.kind == "absent":
        return NOTHING
    if value is None:  # "eq null": RFC 7644 has no such test; an absent value is "not pr"
        if op in (CompareOperator.eq, CompareOperator.ne):
            present = _present(column)
            return ~present if op == CompareOperator.eq else present
        raise ScimError(400, "invalidFilter", "null compares only with eq and ne.")
    if column.kind == "constant":
        matched = _compare_constant(column.constant, op, value)
        return column.present if matched else NOTHING
    if column.kind == "active":
        if not isinstance(value, bool) or op not in (CompareOperator.eq, CompareOperator.ne):
            raise ScimError(
                400, "invalidFilter", "active compares with true or false, by eq or ne."
            )
        blocked = (not value) if op == CompareOperator.eq else value
        return Q(**{column.field: blocked})
    if column.kind == "time":
        moment = _moment(value)
        if op in ORDERING:
            return Q(ORDERING[op](F(column.field), moment))
        if op == CompareOperator.eq:
            return Q(**{column.field: moment})
        if op == CompareOperator.ne:
            return ~Q(**{column.field: moment})
        raise ScimError(400, "invalidFilter", "A date and time takes eq, ne, gt, ge, lt and le.")
    text = _text(value)
    if column.kind == "id":
        if op in (CompareOperator.eq, CompareOperator.ne):
            number = text.removeprefix(column.prefix) if text.startswith(column.prefix) else ""
            same = NOTHING
            if schema.canonical_number(number):
                same = Q(**{column.field: int(number)})
            return same if op == CompareOperator.eq else ~same
        shown = Cast(column.field, CharField())
        if column.prefix:
            shown = Concat(Value(column.prefix), shown, output_field=CharField())
        return _exact_text(shown, op, text)
    if column.kind == "username" and op in (CompareOperator.eq, CompareOperator.ne):
        same = Q(username=UserManager.normalize_username(text))
        return same if op == CompareOperator.eq else ~same
    compare = _exact_text if column.kind == "exact" else _any_case_text
    condition = compare(column.field, op, text)
    # An empty column is an attribute without a value: only "ne" is true of it.
    return condition if op == CompareOperator.ne else condition & ~Q(**{column.field: ""})


def _any_case_text(field: str, op: CompareOperator, text: str) -> Q:
    lookups = {
        CompareOperator.eq: "iexact",
        CompareOperator.co: "icontains",
        CompareOperator.sw: "istartswith",
        CompareOperator.ew: "iendswith",
    }
    if op in lookups:
        return Q(**{f"{field}__{lookups[op]}": text})
    if op == CompareOperator.ne:
        return ~Q(**{f"{field}__iexact": text})
    return Q(ORDERING[op](Lower(field), text.lower()))


def _exact_text(field: Any, op: CompareOperator, text: str) -> Q:
    """Case-exact text comparisons, the same on SQLite (whose LIKE ignores case) and PostgreSQL."""
    field = F(field) if isinstance(field, str) else field
    if op == CompareOperator.eq:
        return Q(Exact(field, text))
    if op == CompareOperator.ne:
        return ~Q(Exact(field, text))
    if op == CompareOperator.co:
        return Q(GreaterThan(StrIndex(field, Value(text)), 0))
    if op == CompareOperator.sw:
        return Q(Exact(Left(field, len(text)), text))
    if op == CompareOperator.ew:
        return Q(Exact(Right(field, len(text)), text))
    return Q(ORDERING[op](field, text))


def _present(column: Column) -> Q:
    if column.kind == "absent":
        return NOTHING
    if column.kind == "constant":
        return column.present
    if column.kind in ("text", "exact", "username"):
        return ~Q(**{column.field: ""})
    return EVERYTHING


class _Translator(FilterVisitor[Q]):
    """A filter tree of one resource type, as a ``Q`` on its table."""

    def __init__(self, resource_type: schema.ResourceType, *, lenient: bool = False) -> None:
        self.resource_type = resource_type
        self.lenient = lenient  # unknown attributes have no value (a search of several types)
        self.schemas = {s.id.lower(): s for s in (resource_type.schema, *resource_type.extensions)}
        self.columns = USER_COLUMNS if resource_type.name == "User" else GROUP_COLUMNS

    # Attribute resolution --------------------------------------------------------

    def _column(self, path: AttrPath) -> Column:
        attr, sub = path.attr.lower(), (path.sub_attr or "").lower() or None
        if path.uri and path.uri.lower() not in self.schemas:
            if self.lenient:
                return ABSENT
            raise ScimError(400, "invalidFilter", f"Unknown schema {path.uri}.")
        if attr in ("phonenumbers", "members"):
            return self._element_column(attr, sub)
        column = self.columns.get((attr, sub))
        if column is not None:
            return column
        if attr == "meta" and sub in ("lastmodified", "resourcetype", "location", "version"):
            return ABSENT
        if attr == "name" and sub is None and self.resource_type.name == "User":
            return Column("constant", constant="", present=~Q(first_name="") | ~Q(last_name=""))
        dotted = f"{attr}.{sub}" if sub else attr
        if self.lenient or any(
            attr in s.not_kept or dotted in s.not_kept for s in self.schemas.values()
        ):
            return ABSENT
        raise ScimError(400, "invalidFilter", f"Unknown attribute {path}.")

    def _element_column(self, attr: str, sub: str | None) -> Column:
        # phoneNumbers.value as a column of the user's own row.
        if attr == "phonenumbers" and self.resource_type.name == "User":
            return PHONE_COLUMNS.get((sub or "value", None)) or ABSENT
        if self.lenient:
            return ABSENT
        raise ScimError(400, "invalidFilter", f"Unknown attribute {attr}.")

    # Nodes -------------------------------------------------------------------------

    def visit_comparison(self, node: Comparison) -> Q:
        if node.attr_path.attr.lower() == "members" and self.resource_type.name == "Group":
            sub = AttrPath(node.attr_path.sub_attr or "value")
            return self.visit_value_path(
                ValuePath(AttrPath("members"), Comparison(sub, node.op, node.value))
            )
        return _compare(self._column(node.attr_path), node.op, node.value)

    def visit_present(self, node: Present) -> Q:
        if node.attr_path.attr.lower() == "members" and self.resource_type.name == "Group":
            return Q(Exists(_members()))
        if (
            node.attr_path.attr.lower() == "phonenumbers"
            and not node.attr_path.sub_attr
            and self.resource_type.name == "User"
        ):
            return ~Q(business_phone="")
        return _present(self._column(node.attr_path))

    def visit_not(self, node: Not) -> Q:
        return ~self.visit(node.expr)

    def visit_logical_expr(self, node: LogicalExpr) -> Q:
        result = self.visit(node.terms[0])
        for term in node.terms[1:]:
            if node.op == LogicalOperator.and_:
                result &= self.visit(term)
            else:
                result |= self.visit(term)
        return result

    def visit_value_path(self, node: ValuePath) -> Q:
        attr = node.attr_path.attr.lower()
        if attr == "members" and self.resource_type.name == "Group":
            condition = _ElementTranslator(MEMBER_COLUMNS).visit(node.val_filter)
            return Q(Exists(_members().filter(condition)))
        if attr == "phonenumbers" and self.resource_type.name == "User":
            return _ElementTranslator(PHONE_COLUMNS).visit(node.val_filter) & ~Q(business_phone="")
        column = self._column(node.attr_path)
        if column.kind == "absent":
            return NOTHING
        raise ScimError(400, "invalidFilter", f"{node.attr_path} has no values to select.")


class _ElementTranslator(_Translator):
    """The filter inside ``attr[...]``: sub-attributes of one value."""

    def __init__(self, columns: dict) -> None:
        self.columns = columns

    def _column(self, path: AttrPath) -> Column:
        column = self.columns.get((path.attr.lower(), None))
        if column is None or path.sub_attr or path.uri:
            raise ScimError(400, "invalidFilter", f"Unknown sub-attribute {path}.")
        return column

    def visit_comparison(self, node: Comparison) -> Q:
        return _compare(self._column(node.attr_path), node.op, node.value)

    def visit_present(self, node: Present) -> Q:
        return _present(self._column(node.attr_path))

    def visit_value_path(self, node: ValuePath) -> Q:
        raise ScimError(400, "invalidFilter", "A value path does not nest.")


def _members():
    return Membership.objects.filter(group=OuterRef("pk"), role=Membership.Role.MEMBER)


def parse(text: str) -> FilterNode:
    """The filter's tree, or ScimError invalidFilter."""
    try:
        return ScimFilter(text).ast
    except (SCIMException, ValueError) as error:
        raise ScimError(400, "invalidFilter", f"The filter does not parse: {error}") from None


def to_q(text: str, resource_type: schema.ResourceType, *, lenient: bool = False) -> Q:
    """The rows of ``resource_type`` that ``text`` selects, as a condition.

    With ``lenient``, an attribute the resource type does not have matches
    nothing rather than being an error (RFC 7644, section 3.4.2.1, for a search
    over several resource types).
    """
    return _Translator(resource_type, lenient=lenient).visit(parse(text))


def username_lookup(text: str) -> str | None:
    """The sign-in name of a filter that is exactly ``userName eq "..."``, else None."""
    node = parse(text)
    if (
        isinstance(node, Comparison)
        and node.op == CompareOperator.eq
        and node.attr_path.attr.lower() == "username"
        and not node.attr_path.sub_attr
        and node.attr_path.uri in (None, schema.USER_SCHEMA)
        and isinstance(node.value, str)
    ):
        return UserManager.normalize_username(node.value)
    return None
