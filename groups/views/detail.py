"""A group's page: general, settings, owners, members, membership rule, activity.

Each change on the page posts to its own URL and view (a subclass of the page's
view, so a refused form shows the page again with its errors).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import DetailView

from accounts.mixins import TenantScopedMixin
from accounts.models import AuditEvent
from accounts.roles import CHANGE_GROUPS, DELETE_GROUPS, VIEW_GROUPS
from accounts.selectors import domain_choices
from core.access import names_unreachable_rows
from core.pagecache import CachedPageMixin
from groups import selectors, services
from groups.forms import (
    BasicsForm,
    ConfirmForm,
    RuleForm,
    SettingsForm,
)
from groups.models import (
    KINDS_WITH_DYNAMIC_MEMBERSHIP,
    RULE_FIELDS,
    RULE_OPERATORS,
    Group,
    Membership,
)


class GroupDetailView(TenantScopedMixin, CachedPageMixin, DetailView):
    """A group: general, members and owners (add, remove in bulk), settings, activity."""

    permission_required = VIEW_GROUPS
    model = Group
    template_name = "groups/group_detail.html"
    context_object_name = "group"

    def get_object(self, queryset=None):
        return selectors.access_group_by_id(self.request.user, self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        tenant, group = self.request.tenant, self.object
        search = self.request.GET.get("q", "")[:100]
        role = self.request.GET.get("add_as", Membership.Role.MEMBER)
        role = role if role in Membership.Role.values else Membership.Role.MEMBER
        if group.membership_rule:
            # Members follow the rule: only owners are added by hand.
            role = Membership.Role.OWNER
        context.update(
            owners=selectors.group_people(tenant=tenant, group=group, role=Membership.Role.OWNER),
            members=selectors.group_people(tenant=tenant, group=group, role=Membership.Role.MEMBER),
            candidates=selectors.group_candidates(
                tenant=tenant, group=group, role=role, search=search
            ),
            search=search,
            add_as=role,
            can_change=self.request.user.has_perm(CHANGE_GROUPS),
            can_delete=self.request.user.has_perm(DELETE_GROUPS),
            activity=AuditEvent.objects.for_tenant(tenant)
            .filter(target_type="groups.group", target_id=str(group.pk))
            .order_by("-created_at", "-id")[:20],
            general_form=kwargs.get("general_form")
            or BasicsForm(initial={"name": group.name, "description": group.description}),
            settings_form=kwargs.get("settings_form") or settings_form(self.request, group),
            dynamic_allowed=group.kind in KINDS_WITH_DYNAMIC_MEMBERSHIP,
            rule_fields=RULE_FIELDS,
            rule_operators=RULE_OPERATORS,
            rule=group.membership_rule or {},
        )
        if context["dynamic_allowed"] and "preview_field" in self.request.GET:
            context.update(self.rule_preview())
        return context

    def rule_preview(self):
        """Return the users the rule in the query string would select (nothing is saved)."""
        form = RuleForm(
            {
                "field": self.request.GET.get("preview_field", ""),
                "op": self.request.GET.get("preview_op", ""),
                "value": self.request.GET.get("preview_value", ""),
            }
        )
        try:
            if not form.is_valid():
                raise ValidationError(_("Choose a property, a comparison and a value."))
            rule = services.rule_clean(form.cleaned_data)
        except ValidationError as error:
            return {"preview_error": error.messages[0]}
        matches = services.rule_matches(tenant=self.request.tenant, rule=rule)
        return {
            "rule": rule,
            "preview_count": matches.count(),
            "preview_people": matches.only("id", "display_name", "username").order_by(
                "display_name", "id"
            )[:20],
        }


def settings_form(request, group, data=None):
    """Return the group's settings form: address, privacy, external senders."""
    local, _sep, domain = group.email.rpartition("@")
    return SettingsForm(
        data,
        kind=group.kind,
        tenant=request.tenant,
        domains=domain_choices(tenant=request.tenant),
        initial={
            "local_part": local,
            "domain": domain,
            "privacy": group.privacy,
            "allow_external_senders": group.allow_external_senders,
        },
    )


class GroupChangeView(GroupDetailView):
    """One change to a group: GET shows the group's page, POST parses a form and changes it.

    Subclasses give ``get_form(data)`` and ``change(form)`` (which calls one
    service and returns the success message). A refused form or a rule the
    service enforces (a ValidationError) is reported by ``refused(form, error)``.
    """

    change_permission = CHANGE_GROUPS

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm(self.change_permission):
            raise PermissionDenied
        self.object = self.get_object()
        form = self.get_form(request.POST)
        if not form.is_valid():
            if names_unreachable_rows(form):
                raise Http404
            return self.refused(form)
        try:
            text = self.change(form)
        except ValidationError as error:
            return self.refused(form, error)
        messages.success(request, text)
        return redirect(self.object)

    def get_form(self, data):
        raise NotImplementedError

    def change(self, form):
        raise NotImplementedError

    def refused(self, form, error=None):
        """Report the form's or the service's errors as messages on the group's page."""
        texts = [text for errors in form.errors.values() for text in errors]
        texts += error.messages if error is not None else []
        for text in texts:
            messages.error(self.request, text)
        return redirect(self.object)

    def service_kwargs(self):
        return {
            "tenant": self.request.tenant,
            "acting_user": self.request.user,
            "group": self.object,
            "request": self.request,
        }


def _errors_on(form, error, *, email_field):
    """Put a service's ``error`` on ``form``: an address error at ``email_field``."""
    by_field = error.error_dict if hasattr(error, "error_dict") else {None: error.error_list}
    for field, errors in by_field.items():
        if field == "email":
            field = email_field
        form.add_error(field if field in form.fields else None, errors)


class GroupGeneralView(GroupChangeView):
    """Save a group's name and description."""

    def get_form(self, data):
        return BasicsForm(data)

    def change(self, form):
        services.group_update(**self.service_kwargs(), **form.cleaned_data)
        return _("The group was saved.")

    def refused(self, form, error=None):
        if error is not None:
            _errors_on(form, error, email_field=None)
        return self.render_to_response(self.get_context_data(general_form=form))


class GroupSettingsView(GroupChangeView):
    """Save a group's address, privacy and external senders (the fields its kind has)."""

    def get_form(self, data):
        return settings_form(self.request, self.object, data)

    def change(self, form):
        data = form.cleaned_data
        changes = {
            "privacy": data["privacy"],
            "allow_external_senders": data["allow_external_senders"],
        }
        if "local_part" in form.fields:
            changes["email"] = data["email"]
        services.group_update(**self.service_kwargs(), **changes)
        return _("The settings were saved.")

    def refused(self, form, error=None):
        if error is not None:
            _errors_on(form, error, email_field="local_part")
        return self.render_to_response(self.get_context_data(settings_form=form))


class GroupRuleSaveView(GroupChangeView):
    """Give a distribution list or security group a membership rule, and apply it."""

    def get_form(self, data):
        return RuleForm(data)

    def change(self, form):
        added, removed = services.group_rule_set(
            **self.service_kwargs(), rule=dict(form.cleaned_data)
        )
        return _("The rule was saved: %(added)d added, %(removed)d removed.") % {
            "added": len(added),
            "removed": len(removed),
        }

    def refused(self, form, error=None):
        if error is None:
            error = ValidationError(_("Choose a property, a comparison and a value."))
            form = RuleForm()
        return super().refused(form, error)


class GroupRuleRemoveView(GroupChangeView):
    """Remove a group's membership rule: its members are then managed by hand."""

    def get_form(self, data):
        return ConfirmForm(data)

    def change(self, form):
        services.group_rule_set(**self.service_kwargs(), rule=None)
        return _("The rule was removed; members are now managed by hand.")
