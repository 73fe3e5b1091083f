"""Claim the addresses that users, groups and resources hold already.

Run again it adds only what is missing. Should two rows hold one address (the
checks before this table raced), the first keeps it (users before groups
before resources, each in id order) and the others are reported, to be given
another address by hand.
"""

import logging

from django.db import migrations

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000

# (app label, model, address field, filter): the rows whose address is reserved.
# A deleted user's sign-in name and a deleted group's address are free for others.
HOLDERS = [
    ("accounts", "user", "username", {"deleted_at__isnull": True}),
    ("groups", "group", "email", {"deleted_at__isnull": True}),
    ("resources", "resource", "email", {}),
]


def claims_backfill(apps, schema_editor):
    """Create the missing claims; return the conflicts as (address, holder, loser) labels."""
    AddressClaim = apps.get_model("accounts", "AddressClaim")
    ContentType = apps.get_model("contenttypes", "ContentType")
    normalize = apps.get_model("accounts", "User").objects.normalize_username
    held = {
        address: f"{owner_type}:{owner_id}"
        for address, owner_type, owner_id in AddressClaim.objects.values_list(
            "address", "owner_type__model", "owner_id"
        )
    }
    conflicts = []
    for app_label, model_name, field, filters in HOLDERS:
        model = apps.get_model(app_label, model_name)
        owner_type, _created = ContentType.objects.get_or_create(
            app_label=app_label, model=model_name
        )
        claimed = set(
            AddressClaim.objects.filter(owner_type=owner_type).values_list("owner_id", flat=True)
        )
        rows = (
            model._base_manager.filter(**filters)
            .exclude(**{field: ""})
            .order_by("pk")
            .values_list("pk", "tenant_id", field)
        )
        batch = []
        for pk, tenant_id, value in rows.iterator(chunk_size=BATCH_SIZE):
            if pk in claimed:
                continue
            address = normalize(value)
            label = f"{model_name}:{pk}"
            if address in held:
                conflicts.append((address, held[address], label))
                continue
            held[address] = label
            batch.append(
                AddressClaim(
                    address=address, tenant_id=tenant_id, owner_type=owner_type, owner_id=pk
                )
            )
            if len(batch) >= BATCH_SIZE:
                AddressClaim.objects.bulk_create(batch)
                batch = []
        AddressClaim.objects.bulk_create(batch)
    for address, holder, loser in conflicts:
        logger.warning(
            "The address %s is held by %s and by %s: %s keeps it; give %s another address.",
            address,
            holder,
            loser,
            holder,
            loser,
        )
    return conflicts


def _forwards(apps, schema_editor):
    claims_backfill(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0014_address_claims"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("groups", "0003_group_membership_rule"),
        ("resources", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(_forwards, migrations.RunPython.noop, elidable=True),
    ]
