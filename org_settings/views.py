import functools

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView
from django_countries import countries

from accounts.mixins import TenantScopedMixin
from accounts.models import Domain, User
from accounts.roles import CHANGE_DOMAINS, CHANGE_TENANT, VIEW_DOMAINS, VIEW_TENANT
from accounts.selectors import access_domain_by_id, domains_reachable
from core.pagecache import CachedPageMixin
from core.people_picker import people_search
from core.views.detail import ChangePermissionMixin, PostActionView, ServiceFormMixin
from org_settings import selectors, services
from org_settings.forms import DomainAddForm, OrgProfileForm, ReleaseForm, SecuritySettingsForm


class SecuritySettingsView(ChangePermissionMixin, TenantScopedMixin, CachedPageMixin, FormView):
    """Settings > Security & privacy: read by every reader, changed by a Global admin."""

    permission_required = VIEW_TENANT
    change_permission = CHANGE_TENANT
    form_class = SecuritySettingsForm
    template_name = "org_settings/security.html"

    def get_initial(self):
        return SecuritySettingsForm.initial_for(self.request.tenant)

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


class OrgProfileView(
    ChangePermissionMixin, ServiceFormMixin, TenantScopedMixin, CachedPageMixin, FormView
):
    """Settings > Org profile: read by readers, changed by a Global admin."""

    permission_required = VIEW_TENANT
    change_permission = CHANGE_TENANT
    form_class = OrgProfileForm
    template_name = "org_settings/profile.html"
    success_url = reverse_lazy("org_settings:profile")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.request.tenant}

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "country_name": _country_name(self.request.tenant.country.code, get_language()),
        }

    def perform(self, form):
        return services.tenant_profile_update(
            tenant=self.request.tenant,
            acting_user=self.request.user,
            request=self.request,
            **{name: form.cleaned_data[name] for name in services.PROFILE_FIELDS},
        )

    def get_success_message(self, form, changed):
        return _("The profile was saved.") if changed else _("Nothing changed.")


@functools.cache
def _country_name(code, language):
    # django-countries looks a name up through several catalogs, a tenth of a
    # millisecond each time: once per country and language is enough.
    with translation.override(language):
        return str(countries.name(code))


class DomainListView(TenantScopedMixin, CachedPageMixin, FormView):
    """Settings > Domains: the organization's domains; add one."""

    permission_required = VIEW_DOMAINS
    form_class = DomainAddForm
    template_name = "org_settings/domain_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["domains"] = domains_reachable(self.request.user).order_by("-is_default", "name")
        context["can_change"] = self.request.user.has_perm(CHANGE_DOMAINS)
        return context

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm(CHANGE_DOMAINS):
            raise PermissionDenied
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            domain = services.domain_add(
                tenant=self.request.tenant,
                acting_user=self.request.user,
                name=form.cleaned_data["name"],
                request=self.request,
            )
        except ValidationError as error:
            for messages_ in getattr(error, "message_dict", {"name": error.messages}).values():
                form.add_error("name", messages_)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("%(domain)s was added. Publish its record to verify it.") % {"domain": domain},
        )
        return redirect("org_settings:domain_detail", pk=domain.pk)


class DomainDetailView(TenantScopedMixin, CachedPageMixin, TemplateView):
    """One domain: the TXT record to publish, and the buttons of the actions below."""

    permission_required = VIEW_DOMAINS
    model = Domain
    template_name = "org_settings/domain_detail.html"

    def get_context_data(self, **kwargs):
        domain = access_domain_by_id(self.request.user, self.kwargs["pk"])
        users_count, groups_count = services.domain_usage(domain)
        return {
            **super().get_context_data(**kwargs),
            "domain": domain,
            "record": services.domain_record(domain),
            "users_count": users_count,
            "groups_count": groups_count,
            "can_change": self.request.user.has_perm(CHANGE_DOMAINS),
        }


class DomainActionView(TenantScopedMixin, PostActionView):
    """A change to one domain (POST only): call the service, say what happened, go back."""

    permission_required = CHANGE_DOMAINS
    model = Domain
    access_object = staticmethod(access_domain_by_id)

    def get_back_url(self):
        return reverse("org_settings:domain_detail", args=[self.object.pk])

    def get_success_message(self, form, result):
        return self.success_message % {"domain": self.object}


class DomainVerifyView(DomainActionView):
    """Look the domain's TXT record up in DNS and mark the domain verified."""

    success_message = gettext_lazy("%(domain)s is verified.")

    def perform(self, form):
        services.domain_verify(
            tenant=self.request.tenant,
            acting_user=self.request.user,
            domain=self.object,
            request=self.request,
        )


class DomainSetDefaultView(DomainActionView):
    """Make a verified domain the organization's default."""

    success_message = gettext_lazy("%(domain)s is now the default.")

    def perform(self, form):
        services.domain_set_default(
            tenant=self.request.tenant,
            acting_user=self.request.user,
            domain=self.object,
            request=self.request,
        )


class DomainRemoveView(DomainActionView):
    """Remove a domain that nothing uses."""

    success_message = gettext_lazy("%(domain)s was removed.")
    success_url = reverse_lazy("org_settings:domain_list")

    def perform(self, form):
        services.domain_remove(
            tenant=self.request.tenant,
            acting_user=self.request.user,
            domain=self.object,
            request=self.request,
        )


class ReleasePreferencesView(TenantScopedMixin, FormView):
    """Settings > Release preferences: standard or early, for everyone or selected users."""

    permission_required = VIEW_TENANT
    form_class = ReleaseForm
    template_name = "org_settings/releases.html"

    def get_initial(self):
        return {"release_track": self.request.tenant.release_track}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        users = selectors.release_users_reachable(self.request.user)
        context.update(
            can_change=self.request.user.has_perm(CHANGE_TENANT),
            early_users=users.filter(early_release=True).order_by("display_name")[:200],
        )
        return context

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        # A GET may be the people picker's search step without JavaScript.
        return form if form.is_bound else people_search(form, self.request.GET)

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm(CHANGE_TENANT):
            raise PermissionDenied
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "actor": self.request.user}

    def form_invalid(self, form):
        if form.names_someone_unreachable():
            raise Http404  # someone who is not an active user of this organization
        return super().form_invalid(form)

    def form_valid(self, form):
        tenant = self.request.tenant
        current = set(
            User.objects.for_tenant(tenant).filter(early_release=True).values_list("pk", flat=True)
        )
        add = {user.pk for user in form.cleaned_data["add"]}
        remove = {user.pk for user in form.cleaned_data["remove"]}
        wanted = (current | add) - remove
        users = list(selectors.release_users_reachable(self.request.user).filter(pk__in=wanted))
        services.release_preferences_set(
            tenant=tenant,
            acting_user=self.request.user,
            track=form.cleaned_data["release_track"],
            early_users=users,
            request=self.request,
        )
        messages.success(self.request, _("Your release preferences were saved."))
        return redirect("org_settings:releases")
