from django.core.management.base import BaseCommand

from security_info.services import temporary_passes_expire


class Command(BaseCommand):
    help = "Remove temporary access passes whose time is up and audit the unused ones."

    def handle(self, *args, **options):
        expired = temporary_passes_expire()
        self.stdout.write(f"{expired} unused temporary access pass(es) expired.")
