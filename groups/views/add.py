"""Add a group: a wizard of type, name, owners, settings and review; the live address check.

Nothing exists before the last step. The steps are django-formtools' session
wizard with a URL per step; the owners step chooses people with the people
picker (its search step without JavaScript is a GET of the step's page).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import View
from django.views.decorators.cache import never_cache
from formtools.wizard.forms import ManagementForm
from formtools.wizard.views import NamedUrlSessionWizardView

from accounts import addresses
from accounts.mixins import TenantScopedMixin
from accounts.roles import ADD_GROUPS
from accounts.selectors import domain_choices
from core.access import names_unreachable_rows
from core.people_picker import SEARCH_PARAM, people_search
from groups import services
from groups.forms import (
    BasicsForm,
    KindForm,
    OwnersForm,
    ReviewForm,
    SettingsForm,
    kind_help,
)
from groups.models import KINDS_WITH_OWNERS_REQUIRED, Kind, Privacy

STEPS = [
    ("type", KindForm, _lazy("Type")),
    ("basics", BasicsForm, _lazy("Name")),
    ("owners", OwnersForm, _lazy("Owners")),
    ("settings", SettingsForm, _lazy("Settings")),
    ("review", ReviewForm, _lazy("Review and finish")),
]
STEP_NAMES = [name for name, _form, _label in STEPS]
WIZARD_PREFIX = "group_add"


@method_decorator(never_cache, name="dispatch")
class GroupAddView(TenantScopedMixin, NamedUrlSessionWizardView):
    """Add a group: type, name, owners, settings, review. Nothing exists before the finish."""

    permission_required = ADD_GROUPS
    template_name = "groups/group_add.html"
    form_list = [(name, form) for name, form, _label in STEPS]

    @classmethod
    def as_view(cls, **initkwargs):
        return super().as_view(url_name="groups:group_add", **initkwargs)

    def get_prefix(self, request, *args, **kwargs):
        return WIZARD_PREFIX

    def get_form_prefix(self, step=None, form=None):
        # Fields keep their plain names (and ids): the live address check reads them.
        return None

    def get_form_kwargs(self, step=None):
        if step == "owners":
            return {"actor": self.request.user, "kind": self.kind()}
        if step == "settings":
            return {
                "kind": self.kind(),
                "tenant": self.request.tenant,
                "domains": domain_choices(tenant=self.request.tenant),
                "address_must_be_free": True,
            }
        return {}

    def get_form(self, step=None, data=None, files=None):
        step = step or self.steps.current
        if step == "owners" and self.request.method == "GET" and SEARCH_PARAM in self.request.GET:
            # The picker's search step: the people chosen so far come in the query string.
            return people_search(super().get_form(step), self.request.GET)
        return super().get_form(step, data, files)

    def kind(self):
        data = self.storage.get_step_data("type")
        kind = data.get("kind") if data else None
        return kind if kind in Kind.values else None

    def first_missing_step(self):
        """Return the first step without saved answers (the review has none), or None."""
        for name in STEP_NAMES[:-1]:
            if self.storage.get_step_data(name) is None:
                return name
        return None

    def get(self, request, *args, step=None, **kwargs):
        if step is None:
            if "start" in request.GET:
                self.storage.reset()
            return redirect(self.get_step_url(self.first_missing_step() or "review"))
        if step not in STEP_NAMES:
            raise Http404
        missing = self.first_missing_step()
        if missing is not None and STEP_NAMES.index(missing) < STEP_NAMES.index(step):
            return redirect(self.get_step_url(missing))
        return super().get(request, *args, step=step, **kwargs)

    def post(self, request, *args, step=None, **kwargs):
        management = ManagementForm(request.POST, prefix=self.prefix)
        if step not in STEP_NAMES or (
            management.is_valid() and management.cleaned_data["current_step"] not in STEP_NAMES
        ):
            raise Http404
        return super().post(request, *args, step=step, **kwargs)

    def render(self, form=None, **kwargs):
        # A posted id of nobody the actor may reach: 404, as for an id in a URL.
        posted = self.request.method == "POST" and form is not None and form.is_bound
        if posted and names_unreachable_rows(form):
            raise Http404
        return super().render(form, **kwargs)

    def process_step(self, form):
        """Keep the step's own fields (not the CSRF token); a new type asks for new settings."""
        step = self.steps.current
        if step == "type" and form.cleaned_data["kind"] != self.kind():
            self.storage.data[self.storage.step_data_key].pop("settings", None)
        return {
            form.add_prefix(name): form.data.getlist(form.add_prefix(name))
            for name in form.fields
            if form.add_prefix(name) in form.data
        }

    def get_context_data(self, form, **kwargs):
        context = super().get_context_data(form=form, **kwargs)
        step = self.steps.current
        missing = self.first_missing_step()
        context["steps"] = [
            {
                "url": self.get_step_url(name),
                "label": label,
                "current": name == step,
                "reachable": self.storage.get_step_data(name) is not None
                or name == (missing or "review"),
            }
            for name, _form, label in STEPS
        ]
        context["step"] = step
        context["kinds"] = kind_help()
        kind = self.kind()
        context["kind_label"] = Kind(kind).label if kind else ""
        if step == "owners":
            context.update(self.owners_context(kind))
        if step == "review":
            context["summary"] = self.summary()
        return context

    def owners_context(self, kind):
        return {"owners_required": kind in KINDS_WITH_OWNERS_REQUIRED}

    def summary(self):
        kind = self.get_cleaned_data_for_step("type") or {}
        basics = self.get_cleaned_data_for_step("basics") or {}
        owners = self.get_cleaned_data_for_step("owners") or {}
        settings = self.get_cleaned_data_for_step("settings") or {}
        return {
            "kind": Kind(kind["kind"]).label if kind else "",
            "name": basics.get("name", ""),
            "description": basics.get("description", ""),
            "owners": owners.get("owners", []),
            "email": settings.get("email", ""),
            "privacy": Privacy(settings["privacy"]).label if settings.get("privacy") else "",
            "allow_external_senders": settings.get("allow_external_senders", False),
        }

    def render_done(self, form, **kwargs):
        """Check every step again and create the group on the last step's POST.

        (The URL-per-step wizard would otherwise finish on a GET of a "done" URL.)
        """
        forms = {}
        for step in self.get_form_list():
            step_form = self.get_form(
                step=step,
                data=self.storage.get_step_data(step),
                files=self.storage.get_step_files(step),
            )
            if not step_form.is_valid():
                return self.render_revalidation_failure(step, step_form, **kwargs)
            forms[step] = step_form
        try:
            return self.done(list(forms.values()), form_dict=forms, **kwargs)
        except ValidationError as error:
            return self.render(form, errors=error.messages)

    def done(self, form_list, form_dict, **kwargs):
        settings = form_dict["settings"].cleaned_data
        basics = form_dict["basics"].cleaned_data
        group = services.group_create(
            tenant=self.request.tenant,
            acting_user=self.request.user,
            kind=form_dict["type"].cleaned_data["kind"],
            name=basics["name"],
            description=basics["description"],
            email=settings["email"],
            privacy=settings["privacy"],
            allow_external_senders=settings["allow_external_senders"],
            owners=list(form_dict["owners"].cleaned_data["owners"]),
            request=self.request,
        )
        self.storage.reset()
        messages.success(self.request, _("%(name)s was created.") % {"name": group.name})
        return redirect(group)


class GroupAddressCheckView(TenantScopedMixin, View):
    """Say whether a group address is free (the settings step asks live)."""

    permission_required = ADD_GROUPS

    def get(self, request):
        local, domain = request.GET.get("local_part", ""), request.GET.get("domain", "")
        try:
            email = services.group_address(tenant=request.tenant, local_part=local, domain=domain)
        except ValidationError:
            state, text = "invalid", _("Enter the address and choose a domain.")
        else:
            if addresses.in_use(email):
                state, text = "taken", _("%(username)s is taken.") % {"username": email}
            else:
                state, text = "free", _("%(username)s is available.") % {"username": email}
        return render(request, "groups/inc/address_check.html", {"state": state, "text": text})
