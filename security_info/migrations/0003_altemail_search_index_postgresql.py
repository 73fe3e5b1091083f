"""A trigram index for finding users by their alternate email on PostgreSQL."""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS security_info_altemail_trgm "
        "ON security_info_altemaildevice USING gin (lower(email) gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS security_info_altemail_trgm")


class Migration(migrations.Migration):
    dependencies = [("security_info", "0002_temporary_pass")]

    operations = [migrations.RunPython(create, drop)]
