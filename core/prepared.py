"""Reads compiled to SQL once per process, then run again with new values.

Turning a queryset into SQL is most of what a short read costs: on a page that
makes eight small reads, building and compiling them takes several times longer
than the database takes to answer. A ``PreparedQuery`` builds its queryset once
per database with stand-in values for its parameters, keeps the SQL, and from
then on only swaps the real values into the SQL's parameters and runs it:

    _ROLES = PreparedQuery(
        lambda user: RoleAssignment.objects.filter(user_id=user).values_list("role", flat=True),
        user=int,
    )
    codes = _ROLES(user=person.pk)

The result is what the queryset would give, as a list: model instances (with
``select_related`` and annotations), ``values()`` dicts or ``values_list()``
tuples or values, through the same converters as Django's own iterables.

The builder must depend on its parameters only (never on the clock, the
language or a setting), and each parameter must reach the SQL unchanged (an exact
match, say): a parameter that ends up transformed (a
``__contains`` pattern) or not at all is refused when the query is first
prepared, so a wrong use fails in the tests, not in production.
"""

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connections, router
from django.db.models import F, Func, IntegerField, QuerySet, Subquery
from django.db.models.query import (
    FlatValuesListIterable,
    ModelIterable,
    ValuesIterable,
    ValuesListIterable,
    get_related_populators,
)

_STAND_IN_TYPES = (int, str)
_counter = itertools.count(1)


def _stand_in(kind: type, name: str) -> int | str:
    """Return a value of ``kind`` no real parameter has: found again in the SQL's parameters."""
    number = next(_counter)
    if kind is int:
        return -(2**62) + number
    return f"\x1fprepared:{name}:{number}\x1f"


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, str], ...]  # (position in params, parameter name)
    read: Callable[[list[tuple[Any, ...]]], list[Any]]


class PreparedQuery:
    """A read whose SQL is built once per database and run with each call's values."""

    def __init__(self, build: Callable[..., QuerySet], **parameters: type) -> None:
        for name, kind in parameters.items():
            if kind not in _STAND_IN_TYPES:
                raise ImproperlyConfigured(f"Parameter {name!r}: only int and str can be prepared.")
        self._build = build
        self._parameters = parameters
        self._compiled: dict[str, _Compiled] = {}
        self._target: tuple[str | None, type] | None = None

    def __call__(self, **values: Any) -> list[Any]:
        if values.keys() != self._parameters.keys():
            raise TypeError(f"Expected the parameters {sorted(self._parameters)}.")
        using = self._using()
        compiled = self._compiled.get(using) or self._prepare(using)
        params = list(compiled.params)
        for position, name in compiled.slots:
            params[position] = self._parameters[name](values[name])
        with connections[using].cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        return compiled.read(rows)

    def _using(self) -> str:
        # Where Django would read: the builder's own using(), else the router's
        # choice for its model (the first build tells which; it is not compiled).
        if self._target is None:
            queryset, _stand_ins = self._sample_queryset()
            self._target = (queryset._db, queryset.model)
        chosen, model = self._target
        return chosen or router.db_for_read(model)

    def _sample_queryset(self) -> tuple[QuerySet, dict[str, Any]]:
        stand_ins = {name: _stand_in(kind, name) for name, kind in self._parameters.items()}
        return self._build(**stand_ins), stand_ins

    def _prepare(self, using: str) -> _Compiled:
        queryset, stand_ins = self._sample_queryset()
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        by_value = {value: name for name, value in stand_ins.items()}
        slots, seen = [], set()
        for position, param in enumerate(params):
            name = by_value.get(param) if type(param) in _STAND_IN_TYPES else None
            if name is not None and type(param) is type(stand_ins[name]):
                slots.append((position, name))
                seen.add(name)
            elif isinstance(param, str) and any(
                isinstance(value, str) and value in param for value in stand_ins.values()
            ):
                raise ImproperlyConfigured(
                    f"A parameter reaches the SQL transformed ({param!r}): it cannot be prepared."
                )
        missing = set(stand_ins) - seen
        if missing:
            raise ImproperlyConfigured(
                f"Parameters {sorted(missing)} do not reach the SQL as they are: "
                "they cannot be prepared."
            )
        compiled = _Compiled(sql, tuple(params), tuple(slots), _reader(queryset, compiler, using))
        self._compiled[using] = compiled
        return compiled


def _reader(queryset: QuerySet, compiler: Any, using: str) -> Callable[[list], list]:
    """Return what turns the rows into the queryset's own results, as Django's iterables do."""
    fields = [column[0] for column in compiler.select[0 : compiler.col_count]]
    converters = compiler.get_converters(fields)

    def converted(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        if not converters:
            return rows
        return [tuple(row) for row in compiler.apply_converters(rows, converters)]

    iterable = queryset._iterable_class
    query = queryset.query
    if iterable is ModelIterable:
        return _model_reader(queryset, compiler, using, converted)
    if query.selected:
        names = list(query.selected)
    else:  # extra(select=...) columns come first
        names = [*query.extra_select, *query.values_select, *query.annotation_select]
    if iterable is ValuesIterable:
        return lambda rows: [dict(zip(names, row, strict=True)) for row in converted(rows)]
    if iterable is FlatValuesListIterable:
        return lambda rows: [row[0] for row in converted(rows)]
    if iterable is ValuesListIterable:  # the SQL selects the columns in the order asked
        return converted
    raise ImproperlyConfigured(f"{iterable.__name__} results cannot be prepared.")


def _model_reader(
    queryset: QuerySet, compiler: Any, using: str, converted: Callable[[list], list]
) -> Callable[[list], list]:
    select, klass_info = compiler.select, compiler.klass_info
    annotations = compiler.annotation_col_map
    model = klass_info["model"]
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    attnames = [column[0].target.attname for column in select[start:end]]
    populators = get_related_populators(klass_info, select, using)

    def read(rows: list[tuple[Any, ...]]) -> list[Any]:
        objects = []
        for row in converted(rows):
            obj = model.from_db(using, attnames, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for name, position in annotations.items():
                setattr(obj, name, row[position])
            objects.append(obj)
        return objects

    return read


def count_of(queryset: QuerySet) -> Subquery:
    """The number of rows of ``queryset``, as a subquery (``OuterRef`` allowed in it).

    For one-row reads that gather several figures in one query (a user's
    methods, the counts on Home's cards).
    """
    counted = queryset.order_by().values(count=Func(F("pk"), function="COUNT"))
    return Subquery(counted, output_field=IntegerField())
