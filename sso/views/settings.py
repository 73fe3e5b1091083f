"""Settings > Single sign-on: the organization's identity providers (Global admin)."""

import json

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.generic import FormView, TemplateView

from accounts.mixins import TenantScopedMixin
from accounts.roles import CHANGE_SSO, VIEW_SSO
from core.views.detail import ActionView, ObjectView, PostActionView, ServiceFormMixin
from sso import flow, oidc, saml, services, urls_for
from sso.forms import OidcProviderForm, SamlProviderForm
from sso.models import IdentityProvider
from sso.selectors import access_provider_by_id, providers_of

FORMS = {
    IdentityProvider.Protocol.OIDC: OidcProviderForm,
    IdentityProvider.Protocol.SAML: SamlProviderForm,
}


def _claim_text(value):
    """Return a claim's value as a person reads it: lists joined, yes and no in words."""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list | tuple):
        return ", ".join(_claim_text(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _service_data(form):
    if hasattr(form, "service_data"):
        return form.service_data()
    return dict(form.cleaned_data)


class ProviderListView(TenantScopedMixin, TemplateView):
    permission_required = VIEW_SSO
    template_name = "sso/provider_list.html"

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "providers": list(providers_of(self.request.tenant.pk)),
            "can_change": self.request.user.has_perm(CHANGE_SSO),
            "break_glass_url": urls_for.absolute(reverse("sso:break_glass")),
        }


@method_decorator(never_cache, name="dispatch")
class ProviderAddView(ServiceFormMixin, TenantScopedMixin, FormView):
    permission_required = CHANGE_SSO
    template_name = "sso/provider_form.html"

    def dispatch(self, request, *args, **kwargs):
        if kwargs["protocol"] not in FORMS:
            raise Http404
        self.protocol = kwargs["protocol"]
        return super().dispatch(request, *args, **kwargs)

    def get_form_class(self):
        return FORMS[self.protocol]

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "tenant": self.request.tenant}

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "protocol": self.protocol,
            "protocol_name": IdentityProvider.Protocol(self.protocol).label,
            "adding": True,
        }

    def perform(self, form):
        return services.provider_add(
            tenant=self.request.tenant,
            acting_user=self.request.user,
            protocol=self.protocol,
            data=_service_data(form),
            domains=form.cleaned_data["domains"],
            request=self.request,
        )

    def done(self, form, result):
        messages.success(
            self.request,
            _("%(name)s was added. Give the provider the addresses below, then run a test sign-in.")
            % {"name": result.name},
        )
        return redirect(result.get_absolute_url())


class ProviderDetailView(TenantScopedMixin, ObjectView):
    permission_required = VIEW_SSO
    model = IdentityProvider
    access_object = staticmethod(access_provider_by_id)
    template_name = "sso/provider_detail.html"
    context_object_name = "provider"

    def get(self, request, *args, **kwargs):
        provider = self.load_object()
        claims = dict(provider.test_claims or {})
        summary = claims.pop("_portal", {})
        context = self.get_context_data(
            can_change=request.user.has_perm(CHANGE_SSO),
            domains=sorted(d.domain.name for d in provider.federated_domains.all()),
            claims=[(name, _claim_text(value)) for name, value in sorted(claims.items())],
            summary=summary,
        )
        if provider.protocol == IdentityProvider.Protocol.OIDC:
            context["redirect_uri"] = urls_for.oidc_redirect_uri(provider)
            context["logout_uri"] = urls_for.after_signout_url()
        else:
            context["metadata_url"] = urls_for.saml_metadata_url(provider)
            context["acs_url"] = urls_for.saml_acs_url(provider)
            context["sls_url"] = urls_for.saml_sls_url(provider)
        return self.render_to_response(context)


@method_decorator(never_cache, name="dispatch")
class ProviderChangeView(TenantScopedMixin, ActionView):
    permission_required = CHANGE_SSO
    model = IdentityProvider
    access_object = staticmethod(access_provider_by_id)
    template_name = "sso/provider_form.html"
    context_object_name = "provider"

    def get_form(self, data=None):
        provider = self.object
        form_class = FORMS[provider.protocol]
        initial = {
            field: getattr(provider, field)
            for field in form_class.base_fields
            if hasattr(provider, field) and field != "client_secret"
        }
        initial["domains"] = [d.domain_id for d in provider.federated_domains.all()]
        return form_class(
            data, self.request.FILES or None, tenant=self.request.tenant, initial=initial
        )

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "protocol": self.object.protocol,
            "protocol_name": self.object.get_protocol_display(),
            "adding": False,
        }

    def perform(self, form):
        return services.provider_change(
            tenant=self.request.tenant,
            acting_user=self.request.user,
            provider=self.object,
            data=_service_data(form),
            domains=form.cleaned_data["domains"],
            request=self.request,
        )

    def get_success_message(self, form, result):
        return (
            _("%(name)s was changed. Run a test sign-in before people use it again.")
            % {"name": result.name}
            if not result.is_enabled
            else _("%(name)s was changed.") % {"name": result.name}
        )


class _SwitchView(TenantScopedMixin, PostActionView):
    permission_required = CHANGE_SSO
    model = IdentityProvider
    access_object = staticmethod(access_provider_by_id)
    on = True

    def perform(self, form):
        return services.provider_switch(
            tenant=self.request.tenant,
            acting_user=self.request.user,
            provider=self.object,
            on=self.on,
            request=self.request,
        )


class ProviderOnView(_SwitchView):
    on = True

    def get_success_message(self, form, result):
        return _("%(name)s is on: people of its domains sign in there now.") % {"name": result.name}


class ProviderOffView(_SwitchView):
    on = False

    def get_success_message(self, form, result):
        return _("%(name)s is off: people of its domains sign in with a password again.") % {
            "name": result.name
        }


@method_decorator(never_cache, name="dispatch")
class ProviderRemoveView(TenantScopedMixin, ActionView):
    permission_required = CHANGE_SSO
    model = IdentityProvider
    access_object = staticmethod(access_provider_by_id)
    template_name = "sso/provider_remove.html"
    context_object_name = "provider"

    def perform(self, form):
        name = self.object.name
        services.provider_remove(
            tenant=self.request.tenant,
            acting_user=self.request.user,
            provider=self.object,
            request=self.request,
        )
        return name

    def get_success_message(self, form, result):
        return _("%(name)s was removed.") % {"name": result}

    def get_success_url(self):
        return reverse("sso:provider_list")


@method_decorator(never_cache, name="dispatch")
class ProviderTestView(TenantScopedMixin, PostActionView):
    """Start a test sign-in at the provider (in a new tab); its answer signs nobody in."""

    permission_required = CHANGE_SSO
    model = IdentityProvider
    access_object = staticmethod(access_provider_by_id)

    def perform(self, form):
        try:
            return flow.begin(self.request, self.object, purpose=flow.TEST)
        except (oidc.OidcError, saml.SamlError) as error:
            return render(
                self.request,
                "sso/test_failed.html",
                {"provider": self.object, "code": error.code, "detail": error.detail},
                status=502,
            )

    def done(self, form, result):
        return result
