from django.contrib import admin

from accounts.admin import AuditedAdmin
from health.models import Announcement, Incident, IncidentUpdate, Service
from health.services import incident_notify


@admin.register(Service)
class ServiceAdmin(AuditedAdmin):
    list_display = ["name", "status", "position"]
    list_editable = ["status", "position"]


class IncidentUpdateInline(admin.StackedInline):
    model = IncidentUpdate
    extra = 1


@admin.register(Incident)
class IncidentAdmin(AuditedAdmin):
    list_display = ["title", "service", "status", "started_at", "resolved_at"]
    list_filter = ["status", "service"]
    inlines = [IncidentUpdateInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            incident_notify(obj)


@admin.register(Announcement)
class AnnouncementAdmin(AuditedAdmin):
    list_display = ["title", "category", "published_at"]
    list_filter = ["category"]
    search_fields = ["title", "body"]
