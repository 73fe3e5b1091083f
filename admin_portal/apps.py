from django.apps import AppConfig
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class AdminPortalConfig(AppConfig):
    name = "admin_portal"
    verbose_name = "Admin portal"

    def ready(self):
        from accounts.models import Tenant  # noqa: PLC0415 - models load only once the app registry is ready
        from admin_portal.admin import OutboundMessageAdmin  # noqa: PLC0415 - models load only once the app registry is ready
        from admin_portal.tenant_admin import OperatorsTenantAdmin  # noqa: PLC0415 - models load only once the app registry is ready
        from core.models import OutboundMessage  # noqa: PLC0415 - models load only once the app registry is ready

        admin.site.register(OutboundMessage, OutboundMessageAdmin)
        # The organizations' page with the delete that reaches every area.
        admin.site.unregister(Tenant)
        admin.site.register(Tenant, OperatorsTenantAdmin)


class OperatorsAdminConfig(AdminConfig):
    default_site = "admin_portal.admin.OperatorsSite"
