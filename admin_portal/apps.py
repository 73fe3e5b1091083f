from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class AdminPortalConfig(AppConfig):
    name = "admin_portal"
    verbose_name = "Admin portal"


class OperatorsAdminConfig(AdminConfig):
    default_site = "admin_portal.admin.OperatorsSite"
