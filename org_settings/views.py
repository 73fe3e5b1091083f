from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import FormView

from accounts.mixins import TenantScopedMixin
from accounts.roles import CHANGE_TENANT, VIEW_TENANT
from org_settings import services
from org_settings.forms import SecuritySettingsForm


class SecuritySettingsView(TenantScopedMixin, FormView):
    """Settings > Security & privacy: read by every reader, changed by a Global admin."""

    permission_required = VIEW_TENANT
    form_class = SecuritySettingsForm
    template_name = "org_settings/security.html"

    def can_change(self):
        return self.request.user.has_perm(CHANGE_TENANT)

    def get_initial(self):
        return SecuritySettingsForm.initial_for(self.request.tenant)

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        if not self.can_change():
            for field in form.fields.values():
                field.disabled = True
        return form

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "can_change": self.can_change()}

    def post(self, request, *args, **kwargs):
        if not self.can_change():
            raise PermissionDenied
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        changed = services.tenant_security_update(
            tenant=self.request.tenant,
            acting_user=self.request.user,
            request=self.request,
            **{name: form.cleaned_data[name] for name in services.SECURITY_FIELDS},
        )
        if changed:
            messages.success(self.request, _("Your security settings were saved."))
        else:
            messages.info(self.request, _("Nothing changed."))
        return redirect("org_settings:security")
