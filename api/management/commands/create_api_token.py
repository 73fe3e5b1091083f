"""Create an API client for the organization that owns a domain; print its secret last."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Domain
from accounts.roles import GLOBAL_ADMIN, ROLES
from api.services import DEFAULT_DAYS, MAX_DAYS, api_client_create


class Command(BaseCommand):
    help = (
        "Create an API client for the organization that owns DOMAIN, acting with the roles "
        "given, and print its secret as the last line (it is shown only this once)."
    )
    requires_migrations_checks = True

    def add_arguments(self, parser):
        parser.add_argument("domain", help="A domain of the organization, such as contoso.example.")
        parser.add_argument("name", help="The client's name, such as HR sync.")
        parser.add_argument(
            "--role",
            action="append",
            required=True,
            metavar="ROLE",
            help=f"A role the client acts with (repeat for more): {', '.join(ROLES)}.",
        )
        parser.add_argument(
            "--days",
            type=int,
            default=DEFAULT_DAYS,
            help=f"Days until the client expires (1 to {MAX_DAYS}; default {DEFAULT_DAYS}).",
        )

    def handle(self, *args, **options):
        name = options["domain"].strip().lower().rstrip(".")
        domain = Domain.objects.select_related("tenant").filter(name=name).first()
        if domain is None:
            raise CommandError(f"No organization owns the domain {name!r}.")
        unknown = sorted(set(options["role"]) - ROLES.keys())
        if unknown:
            raise CommandError(
                f"Unknown role {', '.join(unknown)}; the roles are: {', '.join(ROLES)}."
            )
        try:
            client, secret = api_client_create(
                tenant=domain.tenant,
                acting_user=None,
                name=options["name"],
                roles=options["role"],
                days=options["days"],
                # Naming the role on the command line is the explicit choice.
                global_admin_confirmed=GLOBAL_ADMIN in options["role"],
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(
            f"API client {client.name!r} of {domain.tenant.name} created; it expires on "
            f"{client.expires_at:%Y-%m-%d}. Its secret (shown only now):"
        )
        self.stdout.write(secret)
