from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from billing.invoicing import invoices_generate, invoices_mark_overdue, previous_period


class Command(BaseCommand):
    help = (
        "Make the invoices of one month (default: last month) and mark unpaid ones overdue. "
        "Safe to run twice: an organization gets at most one invoice a month."
    )

    def add_arguments(self, parser):
        parser.add_argument("--period", help="YYYY-MM (default: the previous month)")

    def handle(self, *args, period=None, **options):
        if period is None:
            period = previous_period()
        try:
            created = invoices_generate(period=period)
        except ValidationError as error:
            raise CommandError(error.messages[0]) from None
        overdue = invoices_mark_overdue()
        self.stdout.write(f"{len(created)} invoice(s) made for {period}; {overdue} now overdue.")
