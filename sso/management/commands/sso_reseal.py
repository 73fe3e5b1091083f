from django.core.management.base import BaseCommand, CommandError

from sso.services import providers_reseal


class Command(BaseCommand):
    help = (
        "Seal every identity provider's client secret and private key anew with the current "
        "SECRET_KEY (run after a rotation, before the old key leaves SECRET_KEY_FALLBACKS)."
    )

    def handle(self, *args, **options):
        done, unreadable = providers_reseal()
        self.stdout.write(f"{done} identity provider(s) sealed with the current key.")
        if unreadable:
            names = ", ".join(f"{p.name} ({p.tenant.name})" for p in unreadable)
            raise CommandError(
                f"No configured key reads the secrets of: {names}. Type the client secret "
                "again, or change the SAML provider to make a new key pair."
            )
