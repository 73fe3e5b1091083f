from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityInfoConfig(AppConfig):
    name = "security_info"
    verbose_name = _("Security info")
    default_auto_field = "django.db.models.BigAutoField"
