from django.core.management.base import BaseCommand

from security_center.services import signins_purge


class Command(BaseCommand):
    help = "Delete sign-in log rows older than PORTAL_SIGNIN_LOG_DAYS (run nightly)."

    def handle(self, *args, **options):
        purged = signins_purge()
        self.stdout.write(f"{purged} sign-in log row(s) deleted.")
