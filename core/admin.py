"""Pieces for the operators' site that any app's ``admin.py`` may use."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows operators look at but never add, change or delete here.

    Their own services write them (the audit log, address claims, billing,
    the outbox); an edit in the operators' site would skip their rules.
    """

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
