from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class AdminPortalConfig(AppConfig):
    name = "admin_portal"
    verbose_name = "Admin portal"

    def ready(self):
        from django.contrib import admin

        from accounts.models import Tenant
        from admin_portal.admin import OutboundMessageAdmin
        from admin_portal.tenant_admin import OperatorsTenantAdmin
        from core.models import OutboundMessage

        admin.site.register(OutboundMessage, OutboundMessageAdmin)
        # The organizations' page with the delete that reaches every area.
        admin.site.unregister(Tenant)
        admin.site.register(Tenant, OperatorsTenantAdmin)


class OperatorsAdminConfig(AdminConfig):
    default_site = "admin_portal.admin.OperatorsSite"
