from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from billing import seller


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Every invoice prints the bank account: refuse to start with a wrong one.
        seller.bank_account()
