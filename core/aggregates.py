"""Aggregates that Django 5.2 has for one database only, for both of ours."""

from typing import Any

from django.db.models import Aggregate, TextField, Value


class TextList(Aggregate):
    """The group's values joined by commas in one text (None for no rows).

    ``STRING_AGG`` on PostgreSQL, ``GROUP_CONCAT`` on SQLite: one row can then
    carry a short list from another table (a person's role codes) and save a
    read. The values must not contain commas; the order is not defined.
    """

    function = "STRING_AGG"
    output_field = TextField()

    def __init__(self, expression: Any, **extra: Any) -> None:
        super().__init__(expression, Value(","), **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return super().as_sql(compiler, connection, function="GROUP_CONCAT", **extra_context)


def split_text_list(value: str | None) -> list[str]:
    """Return the values of a ``TextList`` (none for None)."""
    return value.split(",") if value else []
