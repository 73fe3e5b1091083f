from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SetupConfig(AppConfig):
    name = "setup"
    verbose_name = _("Setup")
    default_auto_field = "django.db.models.BigAutoField"
