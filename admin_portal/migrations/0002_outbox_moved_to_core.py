"""The outbox's model now belongs to ``core``; its table stays where it is."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("admin_portal", "0001_outbox"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="OutboundMessage")],
            database_operations=[],
        ),
    ]
