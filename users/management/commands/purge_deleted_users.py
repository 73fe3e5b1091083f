from django.core.management.base import BaseCommand

from users.services import RESTORE_DAYS, deleted_users_purge


class Command(BaseCommand):
    help = f"Remove for good the users deleted more than {RESTORE_DAYS} days ago (run daily)."

    def handle(self, *args, **options):
        purged = deleted_users_purge()
        self.stdout.write(f"{purged} deleted user(s) removed for good.")
