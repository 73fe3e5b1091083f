from django.core.management.base import BaseCommand

from groups.services import RESTORE_DAYS, deleted_groups_purge


class Command(BaseCommand):
    help = f"Remove for good the groups deleted more than {RESTORE_DAYS} days ago (run daily)."

    def handle(self, *args, **options):
        purged = deleted_groups_purge()
        self.stdout.write(f"{purged} deleted group(s) removed for good.")
