"""Operators answer service requests here; each answer is emailed to the requester."""

from django.contrib import admin

from accounts.admin import AuditedAdmin
from support.models import RequestMessage, ServiceRequest
from support.services import support_answered


class MessageInline(admin.StackedInline):
    model = RequestMessage
    fields = ["from_support", "body", "created_at"]
    readonly_fields = ["created_at"]
    extra = 1

    def has_change_permission(self, request, obj=None):
        return False  # a sent message stays as sent


@admin.register(ServiceRequest)
class ServiceRequestAdmin(AuditedAdmin):
    list_display = ["title", "tenant", "severity", "status", "created_at"]
    list_filter = ["status", "severity"]
    list_select_related = ["tenant"]
    search_fields = ["title", "tenant__name"]
    readonly_fields = [
        "tenant",
        "created_by",
        "title",
        "description",
        "severity",
        "contact_phone",
        "contact_email",
        "created_at",
    ]
    inlines = [MessageInline]

    def has_add_permission(self, request):
        return False

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for message in instances:
            if message.pk is None:
                message.author = request.user
                message.from_support = True
            message.save()
            if message.from_support:
                support_answered(message)
        formset.save_m2m()
