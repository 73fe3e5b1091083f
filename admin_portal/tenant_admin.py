"""The operators' page for organizations, with the delete that reaches every area.

``accounts`` declares the organizations' admin page but cannot delete one: an
organization's data lives in every area, which only the project knows. The
project's app config registers this subclass in its place.
"""

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from accounts.admin import TenantAdmin
from accounts.models import Tenant
from admin_portal import operators


class TenantDeleteForm(forms.Form):
    """The typed confirmation of an organization's deletion (checked by the service)."""

    confirmation = forms.CharField(
        label=_("Type the organization's name or its initial domain"),
        max_length=300,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class OperatorsTenantAdmin(TenantAdmin):
    """Organizations, with the delete page that removes one from every area."""

    def has_delete_permission(self, request, obj=None):
        return super(TenantAdmin, self).has_delete_permission(request, obj)

    def delete_view(self, request, object_id, extra_context=None):
        """Delete one suspended organization after its name or initial domain is typed."""
        tenant = self.get_object(request, unquote(object_id))
        if tenant is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_delete_permission(request, tenant):
            raise PermissionDenied
        form = TenantDeleteForm(request.POST if request.method == "POST" else None)
        suspended = tenant.status == Tenant.Status.SUSPENDED
        if form.is_valid():
            try:
                operators.tenant_delete(
                    tenant=tenant,
                    acting_user=request.user,
                    confirmation=form.cleaned_data["confirmation"],
                    request=request,
                )
            except ValidationError as error:
                form.add_error("confirmation", error)
            else:
                self.message_user(
                    request,
                    _("The organization “%(name)s” and all its data were deleted.")
                    % {"name": tenant.name},
                    messages.SUCCESS,
                )
                return redirect("admin:accounts_tenant_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Delete the organization"),
            "subtitle": tenant.name,
            "opts": self.opts,
            "object": tenant,
            "suspended": suspended,
            "initial_domain": operators.tenant_initial_domain(tenant),
            "counts": sorted(operators.tenant_data_counts(tenant).items()),
            "form": form,
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.delete_confirmation_template, context)
