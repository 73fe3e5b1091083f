from django.core.management.base import BaseCommand

from org_settings.services import domains_recheck


class Command(BaseCommand):
    help = "Look up verified domains again and flag those whose verification record is gone."

    def handle(self, *args, **options):
        flagged = domains_recheck()
        self.stdout.write(f"{flagged} domain(s) newly flagged.")
