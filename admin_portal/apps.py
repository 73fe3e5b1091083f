from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class AdminPortalConfig(AppConfig):
    name = "admin_portal"
    verbose_name = "Admin portal"

    def ready(self):
        from django.contrib import admin

        from admin_portal.admin import OutboundMessageAdmin
        from core.models import OutboundMessage

        admin.site.register(OutboundMessage, OutboundMessageAdmin)


class OperatorsAdminConfig(AdminConfig):
    default_site = "admin_portal.admin.OperatorsSite"
