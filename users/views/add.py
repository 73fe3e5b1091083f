"""Add a user: the wizard's steps and the sign-in name check."""

from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import TemplateView

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


WIZARD_KEY = "users_add"


WIZARD_STEPS = [
    ("users:user_add", _lazy("Basics")),
    ("users:user_add_details", _lazy("Licenses, roles and profile")),
    ("users:user_add_review", _lazy("Review and finish")),
]


@method_decorator(never_cache, name="dispatch")
class _UserAddStep(TenantScopedMixin, TemplateView):
    """One step of the add-user wizard; the answers so far live in the session."""

    permission_required = ADD_USERS
    template_name = "users/user_add.html"
    step = 0

    def wizard(self):
        return self.request.session.get(WIZARD_KEY) or {}

    def save_wizard(self, **parts):
        self.request.session[WIZARD_KEY] = {**self.wizard(), **parts}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        reached = 1 + ("basics" in self.wizard()) + ("details" in self.wizard())
        context["steps"] = [
            {
                "url": reverse(name),
                "label": label,
                "number": index + 1,
                "current": index == self.step,
                "reachable": index < reached,
            }
            for index, (name, label) in enumerate(WIZARD_STEPS)
        ]
        context["step"] = self.step
        return context

    def assignable_roles(self):
        return [role for role in ROLES.values() if can_assign_role(self.request.user, role.code)]

    def subscriptions(self):
        """Return the products whose licenses this admin may hand out here."""
        if not self.request.user.has_perm(CHANGE_LICENSES):
            return []
        return list(billing_selectors.live_subscriptions(tenant=self.request.tenant))


class UserAddView(_UserAddStep):
    """Add user, step 1: names, sign-in name, password."""

    step = 0

    def get(self, request, *args, **kwargs):
        if "start" in request.GET:
            request.session.pop(WIZARD_KEY, None)
        basics = self.wizard().get("basics", {})
        initial = {key: value for key, value in basics.items() if key != "password_hash"}
        form = UserAddBasicsForm(tenant=request.tenant, initial=initial or None)
        return self.render_to_response(self.get_context_data(form=form))

    @method_decorator(sensitive_post_parameters("password"))
    def post(self, request, *args, **kwargs):
        form = UserAddBasicsForm(request.POST, tenant=request.tenant)
        if form.is_valid() and not services.username_available(form.username):
            form.add_error(
                "local_part",
                ValidationError(
                    _("%(username)s is taken. Choose another sign-in name."),
                    code="name_taken",
                    params={"username": form.username},
                ),
            )
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        data = form.cleaned_data
        basics = {
            key: data[key]
            for key in (
                "first_name",
                "last_name",
                "display_name",
                "local_part",
                "domain",
                "mode",
                "require_change",
            )
        }
        # A typed password is kept only as its hash until the user is created.
        basics["password_hash"] = make_password(data["password"]) if form.new_password else None
        self.save_wizard(basics=basics)
        return redirect("users:user_add_details")


class UserAddDetailsView(_UserAddStep):
    """Add user, step 2: roles and profile info."""

    step = 1

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and "basics" not in self.wizard():
            return redirect("users:user_add")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        form = UserAddDetailsForm(
            assignable_roles=self.assignable_roles(),
            subscriptions=self.subscriptions(),
            initial=self.wizard().get("details"),
        )
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, *args, **kwargs):
        form = UserAddDetailsForm(
            request.POST,
            assignable_roles=self.assignable_roles(),
            subscriptions=self.subscriptions(),
        )
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        details = {
            **form.cleaned_data,
            "usage_location": str(form.cleaned_data["usage_location"]),
            "licenses": [int(pk) for pk in form.cleaned_data.get("licenses", [])],
        }
        self.save_wizard(details=details)
        return redirect("users:user_add_review")


class UserAddReviewView(_UserAddStep):
    """Add user, step 3: what will be created; the finish shows the password once."""

    step = 2
    done_template_name = "users/user_add_done.html"

    def dispatch(self, request, *args, **kwargs):
        wizard = self.wizard()
        if request.user.is_authenticated and "basics" not in wizard:
            return redirect("users:user_add")
        if request.user.is_authenticated and "details" not in wizard:
            return redirect("users:user_add_details")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        wizard = self.wizard()
        basics, details = wizard["basics"], wizard["details"]
        context.update(
            basics=basics,
            details=details,
            username=f"{basics['local_part']}@{basics['domain']}",
            role_names=[ROLES[code].name for code in details["roles"] if code in ROLES],
            license_names=[
                sub.product.name for sub in self.subscriptions() if sub.pk in details["licenses"]
            ],
        )
        return context

    def post(self, request, *args, **kwargs):
        wizard = self.wizard()
        basics, details = wizard["basics"], wizard["details"]
        profile = {
            key: details[key]
            for key in ("job_title", "department", "office", "business_phone", "usage_location")
        }
        try:
            user, generated = services.user_create(
                tenant=request.tenant,
                acting_user=request.user,
                username=f"{basics['local_part']}@{basics['domain']}",
                display_name=basics["display_name"],
                first_name=basics["first_name"],
                last_name=basics["last_name"],
                password_hash=basics["password_hash"],
                require_change=basics["require_change"],
                roles=details["roles"],
                subscriptions=[
                    sub for sub in self.subscriptions() if sub.pk in details["licenses"]
                ],
                profile=profile,
                request=request,
            )
        except ValidationError as error:
            if getattr(error, "code", None) == "forbidden":
                raise PermissionDenied from None
            return self.render_to_response(self.get_context_data(errors=error.messages))
        request.session.pop(WIZARD_KEY, None)
        return render(
            request,
            self.done_template_name,
            {
                "person": user,
                "password": generated,
                "require_change": basics["require_change"],
            },
        )
