from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityCenterConfig(AppConfig):
    name = "security_center"
    verbose_name = _("Admin centers")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from security_center import receivers  # noqa: F401, PLC0415 - connects the sign-in log
