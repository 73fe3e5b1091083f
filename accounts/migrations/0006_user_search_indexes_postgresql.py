"""Indexes for searching users by name and sign-in name on PostgreSQL.

Trigram (pg_trgm) GIN indexes serve "contains" searches, and text_pattern_ops
B-trees serve prefix searches whatever the database collation. They exist only
on PostgreSQL; other databases scan, which is fine at their sizes.
"""

from django.db import migrations

INDEXES = [
    (
        "accounts_user_name_trgm",
        "CREATE INDEX IF NOT EXISTS accounts_user_name_trgm ON accounts_user "
        "USING gin (lower(display_name) gin_trgm_ops)",
    ),
    (
        "accounts_user_username_trgm",
        "CREATE INDEX IF NOT EXISTS accounts_user_username_trgm ON accounts_user "
        "USING gin (username gin_trgm_ops)",
    ),
    (
        "accounts_user_name_prefix",
        "CREATE INDEX IF NOT EXISTS accounts_user_name_prefix ON accounts_user "
        "(tenant_id, lower(display_name) text_pattern_ops)",
    ),
    (
        "accounts_user_username_prefix",
        "CREATE INDEX IF NOT EXISTS accounts_user_username_prefix ON accounts_user "
        "(tenant_id, username text_pattern_ops)",
    ),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for _name, sql in INDEXES:
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _sql in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0005_user_list_indexes")]

    operations = [migrations.RunPython(create, drop)]
