from django.core.management.base import BaseCommand

from billing.invoicing import subscriptions_renew


class Command(BaseCommand):
    help = "Renew subscriptions whose term ended and expire cancelled ones (run daily)."

    def handle(self, *args, **options):
        renewed, expired = subscriptions_renew()
        self.stdout.write(f"{renewed} subscription(s) renewed, {expired} expired.")
