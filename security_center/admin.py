from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.admin import AuditedAdmin
from accounts.roles import ROLE_CHOICES
from core.admin import ReadOnlyAdmin
from security_center.models import AdminCenter, SignIn, validate_https


class AdminCenterForm(forms.ModelForm):
    url = forms.URLField(
        label=_("Address"),
        max_length=500,
        assume_scheme="https",
        validators=[validate_https],
        help_text=_("Starts with https://."),
    )
    roles = forms.MultipleChoiceField(
        label=_("Roles that see it"),
        choices=ROLE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Admins with any of these roles see its tile."),
    )

    class Meta:
        model = AdminCenter
        fields = ["name", "description", "url", "icon", "roles", "position"]


@admin.register(AdminCenter)
class AdminCenterAdmin(AuditedAdmin):
    form = AdminCenterForm
    list_display = ["name", "url", "position"]
    search_fields = ["name"]


@admin.register(SignIn)
class SignInAdmin(ReadOnlyAdmin):
    """Every sign-in attempt, also those of no organization (names nobody has)."""

    list_display = ["created_at", "username", "tenant", "result", "reason", "method", "ip_address"]
    list_filter = ["result", "reason"]
    search_fields = ["username"]
    date_hierarchy = None
    show_full_result_count = False
