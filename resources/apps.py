from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResourcesConfig(AppConfig):
    name = "resources"
    verbose_name = _("Resources")
    default_auto_field = "django.db.models.BigAutoField"
    # Rooms and equipment have addresses in the same set as users and groups:
    # groups.selectors.address_in_use asks this function.
    address_exists = "resources.selectors.resource_address_exists"
