"""Create an organization, its initial domain and its first Global admin."""

import getpass
import os
import sys

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django_countries import countries

from accounts.services import tenant_create

PASSWORD_ENV = "PORTAL_ADMIN_PASSWORD"  # noqa: S105 (the variable\'s name)


class Command(BaseCommand):
    help = (
        "Create an organization with its initial (verified, default) domain and a Global admin. "
        f"The admin's password comes from --password, else the {PASSWORD_ENV} environment "
        "variable, else a prompt."
    )
    requires_migrations_checks = True
    # Tests hand in a stand-in for a terminal, as with createsuperuser.
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("name", help="The organization's name, such as Contoso.")
        parser.add_argument(
            "--domain", required=True, help="The initial domain, such as contoso.example."
        )
        parser.add_argument(
            "--admin",
            required=True,
            metavar="USERNAME",
            help="The Global admin's sign-in name, such as admin@contoso.example.",
        )
        parser.add_argument(
            "--password",
            help=(
                "The Global admin's password (other local users can see it while the command "
                f"runs; prefer {PASSWORD_ENV})."
            ),
        )
        parser.add_argument(
            "--country",
            metavar="CC",
            help="Two-letter country code (default: the PORTAL_DEFAULT_COUNTRY setting).",
        )

    def handle(self, *args, **options):
        self.stdin = options.get("stdin", sys.stdin)
        country = self.country_code(options["country"] or settings.PORTAL_DEFAULT_COUNTRY)
        password = options["password"] or os.environ.get(PASSWORD_ENV) or self.prompt_password()
        try:
            tenant = tenant_create(
                name=options["name"],
                domain=options["domain"],
                admin_username=options["admin"],
                admin_password=password,
                country=country,
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        domain = tenant.domain_set.get(is_initial=True)
        admin = tenant.users.get()
        self.stdout.write(
            self.style.SUCCESS(
                f'Created organization "{tenant.name}" with domain {domain.name} '
                f"and Global admin {admin.username}."
            )
        )

    def country_code(self, code):
        """Return ``code`` as a known ISO 3166 alpha-2 code, or raise CommandError."""
        alpha2 = countries.alpha2(code.strip())
        if not alpha2:
            raise CommandError(f"Unknown country code {code!r}; use a code such as NL or US.")
        return alpha2

    def prompt_password(self):
        """Ask for the password twice on a terminal; refuse when there is none."""
        if not (hasattr(self.stdin, "isatty") and self.stdin.isatty()):
            raise CommandError(
                f"No password given: pass --password, set {PASSWORD_ENV}, or run in a terminal."
            )
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords did not match.")
        if not password:
            raise CommandError("The password must not be empty.")
        return password
