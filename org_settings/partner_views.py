"""Settings > Partner relationships: ask a customer for access, approve, end, choose who acts.

Both sides see a relationship at the same URL: the partner (who asked) and the
customer (who approves or declines it, and ends it). Another organization's
relationship answers 404, exactly like a missing one. Who may do what on which
side is the services' rule (``accounts.partners``); a refusal for the person's
role is their ``Forbidden``, answered 403.
"""

from django.core.exceptions import PermissionDenied
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import FormView, TemplateView

from accounts import partners
from accounts.mixins import TenantScopedMixin
from accounts.models import PartnerRelationship
from accounts.roles import CHANGE_PARTNERS, VIEW_PARTNERS
from core.pagecache import CachedPageMixin
from core.views.detail import ActionView, ObjectView, PostActionView, ServiceFormMixin
from org_settings.partner_forms import PartnerAccessForm, PartnerRequestForm

Status = PartnerRelationship.Status


def access_relationship_by_id(actor, pk):
    """Return the relationship ``pk`` of the actor's organization, or raise Http404."""
    return partners.relationship_for(getattr(actor, "tenant", None), pk)


def _describe(relationship, tenant, now):
    """Set what the pages show of ``relationship`` seen from ``tenant``; return it."""
    relationship.role_names = partners.role_names(relationship.roles)
    relationship.is_ours = relationship.partner_id == tenant.pk
    relationship.other = relationship.customer if relationship.is_ours else relationship.partner
    # Ended by the nightly task; until then an expired one is shown for what it is.
    relationship.is_expired = relationship.status == Status.ACTIVE and not (
        relationship.is_in_force(now)
    )
    return relationship


class PartnerListView(TenantScopedMixin, CachedPageMixin, TemplateView):
    """The organization's partner relationships: its requests as a partner, and its partners."""

    permission_required = VIEW_PARTNERS
    template_name = "org_settings/partner_list.html"

    def get_context_data(self, **kwargs):
        tenant = self.request.tenant
        now = timezone.now()
        outgoing, incoming = [], []
        for relationship in partners.relationships_of(tenant):
            _describe(relationship, tenant, now)
            (outgoing if relationship.is_ours else incoming).append(relationship)
        can_change = self.request.user.has_perm(CHANGE_PARTNERS)
        return {
            **super().get_context_data(**kwargs),
            "is_partner": tenant.is_partner,
            "outgoing": outgoing,
            "incoming": incoming,
            "can_change": can_change,
            "can_request": can_change and tenant.is_partner,
        }


class PartnerRequestView(ServiceFormMixin, TenantScopedMixin, FormView):
    """Ask a customer, by one of its domains, for roles for a number of days."""

    permission_required = CHANGE_PARTNERS
    form_class = PartnerRequestForm
    template_name = "org_settings/partner_request.html"

    def dispatch(self, request, *args, **kwargs):
        tenant = getattr(request, "tenant", None)
        if request.user.is_authenticated and tenant is not None and not tenant.is_partner:
            raise PermissionDenied(_("Only a partner organization asks for access."))
        return super().dispatch(request, *args, **kwargs)

    def perform(self, form):
        data = form.cleaned_data
        return partners.partner_request(
            actor=self.request.user,
            domain=data["domain"],
            roles=data["roles"],
            days=data["days"],
            request=self.request,
        )

    def get_success_message(self, form, relationship):
        return _(
            "Your request was sent to %(customer)s. Its Global admins approve or decline it."
        ) % {"customer": relationship.customer.name}

    def done(self, form, relationship):
        self.success_url = reverse("org_settings:partner_detail", args=[relationship.pk])
        return super().done(form, relationship)


class PartnerRelationshipMixin(TenantScopedMixin):
    """One relationship of the organization, as partner or customer (404 otherwise)."""

    model = PartnerRelationship
    access_object = staticmethod(access_relationship_by_id)
    context_object_name = "relationship"

    def get_back_url(self):
        return reverse("org_settings:partner_detail", args=[self.object.pk])

    def get_context_data(self, **kwargs):
        _describe(self.object, self.request.tenant, timezone.now())
        return {
            **super().get_context_data(**kwargs),
            "can_change": self.request.user.has_perm(CHANGE_PARTNERS),
        }


class PartnerDetailView(PartnerRelationshipMixin, CachedPageMixin, ObjectView):
    """One relationship: its roles, status and dates; on the partner's side, who acts."""

    permission_required = VIEW_PARTNERS
    template_name = "org_settings/partner_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        relationship = self.object
        shows_access = relationship.is_ours and relationship.is_in_force()
        context["shows_access"] = shows_access
        if shows_access:
            accesses = list(partners.accesses_of(relationship))
            context["accesses"] = accesses
            if context["can_change"]:
                context["access_form"] = PartnerAccessForm(
                    tenant=self.request.tenant, relationship=relationship
                )
        return context


class PartnerActionView(PartnerRelationshipMixin, PostActionView):
    """A button on a relationship (POST only): call the service, say what happened, go back."""

    permission_required = CHANGE_PARTNERS


class PartnerApproveView(PartnerActionView):
    """Approve a pending request, as the customer's Global admin."""

    def perform(self, form):
        return partners.partner_decide(
            actor=self.request.user, relationship=self.object, approve=True, request=self.request
        )

    def get_success_message(self, form, relationship):
        return _(
            "You approved the request of %(partner)s. Its admins may act with the roles "
            "granted until %(expires)s."
        ) % {
            "partner": relationship.partner.name,
            "expires": timezone.localtime(relationship.expires_at).date().isoformat(),
        }


class PartnerDeclineView(PartnerActionView):
    """Decline a pending request, as the customer's Global admin."""

    def perform(self, form):
        return partners.partner_decide(
            actor=self.request.user, relationship=self.object, approve=False, request=self.request
        )

    def get_success_message(self, form, relationship):
        return _("You declined the request of %(partner)s.") % {
            "partner": relationship.partner.name
        }


class PartnerWithdrawView(PartnerActionView):
    """Withdraw a request still waiting, as the partner's Global admin."""

    def perform(self, form):
        return partners.partner_withdraw(
            actor=self.request.user, relationship=self.object, request=self.request
        )

    def get_success_message(self, form, relationship):
        return _("Your request to %(customer)s was withdrawn.") % {
            "customer": relationship.customer.name
        }


class PartnerEndView(PartnerRelationshipMixin, ActionView):
    """End an active relationship after asking: its admins lose access at their next request."""

    permission_required = CHANGE_PARTNERS
    template_name = "org_settings/partner_end.html"
    success_url = reverse_lazy("org_settings:partner_list")

    def perform(self, form):
        return partners.partner_end(
            actor=self.request.user, relationship=self.object, request=self.request
        )

    def get_success_message(self, form, relationship):
        return _(
            "The relationship between %(partner)s and %(customer)s ended. The partner's "
            "admins lose access at their next request."
        ) % {"partner": relationship.partner.name, "customer": relationship.customer.name}


class PartnerAccessView(PartnerActionView):
    """Set the roles one of the partner's admins acts with for the customer (none: remove)."""

    form_class = PartnerAccessForm

    def get_form_kwargs(self):
        return {"tenant": self.request.tenant, "relationship": self.object}

    def perform(self, form):
        return partners.partner_access_set(
            actor=self.request.user,
            relationship=self.object,
            user=form.cleaned_data["user"],
            roles=form.cleaned_data["roles"],
            request=self.request,
        )

    def get_success_message(self, form, access):
        names = {
            "user": form.cleaned_data["user"].username,
            "customer": self.object.customer.name,
        }
        if access is None:
            return _("%(user)s no longer acts for %(customer)s.") % names
        return _("%(user)s acts for %(customer)s as %(roles)s.") % {
            **names,
            "roles": partners.role_names(access.roles),
        }
