"""Add a user: the wizard (django-formtools) and the sign-in name check."""

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied, SuspiciousOperation, ValidationError
from django.shortcuts import render
from django.utils.datastructures import MultiValueDict
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from formtools.wizard.storage.session import SessionStorage
from formtools.wizard.views import SessionWizardView

from accounts.mixins import TenantScopedMixin
from accounts.roles import (
    ADD_USERS,
    CHANGE_LICENSES,
    CHANGE_USERS,
    ROLES,
    VIEW_USERS,
    can_assign_role,
)
from billing import selectors as billing_selectors
from core.sealing import SealBroken, seal, unseal
from users import services
from users.forms import (
    SignInNameForm,
    UserAddBasicsForm,
    UserAddDetailsForm,
)


class UsernameCheckView(TenantScopedMixin, View):
    """Say whether a sign-in name is free (the add-user and rename forms ask live)."""

    permission_required = VIEW_USERS

    def get(self, request):
        if not (request.user.has_perm(ADD_USERS) or request.user.has_perm(CHANGE_USERS)):
            raise PermissionDenied
        form = SignInNameForm(request.GET, tenant=request.tenant)
        if not form.is_valid():
            state, text = "invalid", _("Enter a username and choose a domain.")
        elif services.username_available(form.username):
            state, text = "free", _("%(username)s is available.") % {"username": form.username}
        else:
            state, text = "taken", _("%(username)s is taken.") % {"username": form.username}
        return render(request, "users/inc/username_check.html", {"state": state, "text": text})


class SealedSessionStorage(SessionStorage):
    """Keep a wizard's answers in the session sealed (``core.sealing``).

    The first step holds a typed password: the session store (the database or
    Redis) only ever sees it encrypted, and it can be read back only within a
    session's lifetime. An answer that cannot be unsealed counts as not given,
    so the wizard asks for that step again.
    """

    def get_step_data(self, step):
        sealed = self.data[self.step_data_key].get(step)
        if sealed is None:
            return None
        try:
            values = unseal(sealed, purpose=self.prefix, max_age=settings.SESSION_COOKIE_AGE)
        except SealBroken:
            return None
        return MultiValueDict(values)

    def set_step_data(self, step, cleaned_data):
        if isinstance(cleaned_data, MultiValueDict):
            cleaned_data = dict(cleaned_data.lists())
        self.data[self.step_data_key][step] = seal(cleaned_data, purpose=self.prefix)


BASICS, DETAILS, REVIEW = "basics", "details", "review"

STEP_LABELS = {
    BASICS: _lazy("Basics"),
    DETAILS: _lazy("Licenses, roles and profile"),
    REVIEW: _lazy("Review and finish"),
}


@method_decorator(never_cache, name="dispatch")
@method_decorator(sensitive_post_parameters("password"), name="post")
class UserAddView(TenantScopedMixin, SessionWizardView):
    """Add a user in three steps at one URL; nothing is created before the last one.

    Step 1 takes names, the sign-in name and the password, step 2 admin roles,
    licenses and profile info, step 3 shows what will be created. At the finish
    formtools checks every step's answers again (a sign-in name taken meanwhile
    sends the admin back to the first step), then ``users.services.user_create``
    adds the user and the answers are dropped, so the finish cannot be replayed.
    """

    permission_required = ADD_USERS
    form_list = [(BASICS, UserAddBasicsForm), (DETAILS, UserAddDetailsForm), (REVIEW, forms.Form)]
    storage_name = "users.views.add.SealedSessionStorage"
    template_name = "users/user_add.html"
    done_template_name = "users/user_add_done.html"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.checked = {}  # step -> the answers checked in this request

    def get_prefix(self, request, *args, **kwargs):
        return "users_add"

    def get_form_prefix(self, step=None, form=None):
        # One form per request: its fields keep their plain names, which the
        # live sign-in name check (shared with the rename page) reads.
        return None

    def get_form_kwargs(self, step=None):
        if step == BASICS:
            return {
                "tenant": self.request.tenant,
                "username_available": services.username_available,
            }
        if step == DETAILS:
            return {
                "assignable_roles": self.assignable_roles(),
                "subscriptions": self.subscriptions(),
            }
        return {}

    def get_form(self, step=None, data=None, files=None):
        if (step or self.steps.current) not in self.get_form_list():
            # A crafted step name: formtools would fail with a KeyError (500).
            raise SuspiciousOperation("Unknown step of the add-user wizard.")
        return super().get_form(step, data, files)

    def process_step(self, form):
        # Just checked: the step list and the review need not check them again.
        self.checked[self.steps.current] = form.cleaned_data
        return super().process_step(form)

    def cleaned_data_for(self, step):
        """Return the step's stored answers checked again, or None if missing or now invalid."""
        if step not in self.checked:
            self.checked[step] = self.get_cleaned_data_for_step(step)
        return self.checked[step]

    def get_form_step_data(self, form):
        """Keep the step's own fields only, not the CSRF token or the step marker."""
        names = [form.add_prefix(name) for name in form.fields]
        return {name: form.data.getlist(name) for name in names if name in form.data}

    def assignable_roles(self):
        return [role for role in ROLES.values() if can_assign_role(self.request.user, role.code)]

    def subscriptions(self):
        """Return the products whose licenses this admin may hand out here."""
        if not self.request.user.has_perm(CHANGE_LICENSES):
            return []
        if not hasattr(self, "_subscriptions"):
            self._subscriptions = list(
                billing_selectors.live_subscriptions(tenant=self.request.tenant)
            )
        return self._subscriptions

    def render(self, form=None, **kwargs):
        """Show a step only once every step before it holds valid answers.

        Otherwise show the first step that does not, so that a step cannot be
        skipped by posting another step's name.
        """
        steps = self.steps.all
        for step in steps[: steps.index(self.steps.current)]:
            if self.cleaned_data_for(step) is None:
                self.storage.current_step = step
                form = self.get_form(step, data=self.storage.get_step_data(step))
                break
        return super().render(form, **kwargs)

    def get_context_data(self, form, **kwargs):
        context = super().get_context_data(form=form, **kwargs)
        steps = self.steps.all
        current = steps.index(self.steps.current)
        answered = [step for step in steps if self.storage.get_step_data(step) is not None]
        reachable = next((i for i, step in enumerate(steps) if step not in answered), len(steps))
        context["steps"] = [
            {
                "name": step,
                "label": STEP_LABELS[step],
                "current": index == current,
                "answered": step in answered,
                "reachable": index <= reachable,
            }
            for index, step in enumerate(steps)
        ]
        context["step"] = self.steps.current
        if self.steps.current == REVIEW:
            context.update(self.review_context())
        return context

    def review_context(self):
        basics = self.cleaned_data_for(BASICS)
        details = self.cleaned_data_for(DETAILS)
        licenses = details.get("licenses", [])
        return {
            "basics": basics,
            "details": details,
            "username": f"{basics['local_part']}@{basics['domain']}",
            "typed_password": basics["mode"] == UserAddBasicsForm.TYPE,
            "role_names": [ROLES[code].name for code in details["roles"] if code in ROLES],
            "license_names": [
                sub.product.name for sub in self.subscriptions() if str(sub.pk) in licenses
            ],
        }

    def render_done(self, form, **kwargs):
        try:
            return super().render_done(form, **kwargs)
        except ValidationError as error:
            # The service refused what the steps allowed (no license left, the
            # name taken a moment ago): say so on the review; the answers stay.
            return self.render(form, errors=error.messages, **kwargs)

    def done(self, form_list, form_dict, **kwargs):
        basics, details = form_dict[BASICS], form_dict[DETAILS]
        profile = {
            key: details.cleaned_data[key]
            for key in ("job_title", "department", "office", "business_phone", "usage_location")
        }
        licenses = details.cleaned_data.get("licenses", [])
        user, generated = services.user_create(
            tenant=self.request.tenant,
            acting_user=self.request.user,
            username=basics.username,
            display_name=basics.cleaned_data["display_name"],
            first_name=basics.cleaned_data["first_name"],
            last_name=basics.cleaned_data["last_name"],
            password=basics.new_password,
            require_change=basics.cleaned_data["require_change"],
            roles=details.cleaned_data["roles"],
            subscriptions=[sub for sub in self.subscriptions() if str(sub.pk) in licenses],
            profile=profile,
            request=self.request,
        )
        return render(
            self.request,
            self.done_template_name,
            {
                "person": user,
                "password": generated,
                "require_change": basics.cleaned_data["require_change"],
            },
        )
