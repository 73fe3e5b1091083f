"""A user's page and the changes made from it."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.generic import DetailView

from accounts import services as account_services
from accounts.mixins import TenantScopedMixin
from accounts.models import User
from accounts.roles import (
    ASSIGN_ROLES,
    CHANGE_GROUPS,
    CHANGE_LICENSES,
    CHANGE_USERS,
    GLOBAL_ADMIN,
    ROLES,
    VIEW_AUDIT,
    VIEW_GROUPS,
    VIEW_LICENSES,
    VIEW_USERS,
    can_reset_password,
)
from billing import selectors as billing_selectors
from billing import services as billing_services
from groups import selectors as group_selectors
from groups import services as group_services
from security_info import selectors as security_info_selectors
from security_info import services as security_info_services
from users import selectors, services
from users.forms import (
    SignInNameForm,
    UserContactForm,
    UserPasswordResetForm,
    UserProfileForm,
)


def _license_context(request, person):
    """Return the Licenses section of a user's page: each product, held or not."""
    return {
        "license_rows": [
            {"subscription": sub, "held": sub.held}
            for sub in billing_selectors.subscriptions_with_holding(
                tenant=request.tenant, user=person
            )
        ],
        "can_change_licenses": request.user.has_perm(CHANGE_LICENSES) and not person.deleted_at,
    }


class UserDetailView(TenantScopedMixin, DetailView):
    """A user's page: account, contact information, licenses, groups, and (when allowed)
    authentication methods and activity.
    """

    permission_required = VIEW_USERS
    model = User
    template_name = "users/user_detail.html"
    context_object_name = "person"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        person, actor = self.object, self.request.user
        context["roles"] = [ROLES[code] for code in sorted(person.role_codes)]
        context["contact_rows"] = selectors.contact_rows(person)
        # One rule for the methods, the password and the sessions of this user.
        context["can_manage_methods"] = can_reset_password(actor, person)
        context["can_manage"] = services.can_manage(actor, person)
        context["can_delete"] = services.can_delete(actor, person)
        context["can_assign_roles"] = actor.has_perm(ASSIGN_ROLES)
        if actor.has_perm(VIEW_LICENSES):
            context.update(_license_context(self.request, person))
        if actor.has_perm(VIEW_GROUPS):
            context["group_memberships"] = group_selectors.groups_of_user(
                tenant=self.request.tenant, user=person
            )
            context["can_change_groups"] = actor.has_perm(CHANGE_GROUPS) and not person.deleted_at
        if context["can_manage_methods"]:
            context["methods"] = security_info_selectors.methods_for_admin(user=person)
            context["can_issue_pass"] = not person.is_admin or GLOBAL_ADMIN in actor.role_codes
            context["pass_hours"] = security_info_services.TEMPORARY_PASS_HOURS
        if actor.has_perm(VIEW_AUDIT):
            # Sign-ins and method changes are the audit log's: only its readers see them.
            context["activity"] = selectors.user_activity(tenant=self.request.tenant, user=person)
        return context

    def post(self, request, *args, **kwargs):
        """Remove one of the user's methods, make them register again, or sign them out."""
        person = self.get_object()
        if not can_reset_password(request.user, person):
            # Not allowed to see this user's methods: as if the section did not exist.
            raise PermissionDenied
        action = request.POST.get("action", "")
        if action == "signout_all":
            account_services.user_sessions_end(
                tenant=request.tenant, user=person, acting_user=request.user, request=request
            )
            messages.success(
                request,
                _("%(name)s was signed out of all sessions.") % {"name": person.display_name},
            )
        elif action == "reregister":
            security_info_services.reregistration_require(
                user=person, acting_user=request.user, request=request
            )
            messages.success(
                request,
                _("%(name)s must register their security info again at the next sign-in.")
                % {"name": person.display_name},
            )
        elif action == "temporary_pass":
            return self.issue_temporary_pass(request, person)
        elif action in security_info_services.ADMIN_REMOVABLE:
            security_info_services.method_remove_by_admin(
                user=person, method=action, acting_user=request.user, request=request
            )
            messages.success(request, _("The method was removed."))
        else:
            messages.error(request, _("Choose what to remove."))
        return redirect("users:user_detail", pk=person.pk)

    def issue_temporary_pass(self, request, person):
        try:
            hours = int(request.POST.get("hours", ""))
        except ValueError:
            hours = 0
        try:
            token = security_info_services.temporary_pass_issue(
                user=person, acting_user=request.user, hours=hours, request=request
            )
        except ValidationError as error:
            messages.error(request, error.messages[0])
            return redirect("users:user_detail", pk=person.pk)
        # Shown once, here; never stored in the clear, never cached.
        response = render(
            request,
            "users/temporary_pass_done.html",
            {"person": person, "token": token, "hours": hours},
        )
        add_never_cache_headers(response)
        return response


@method_decorator([sensitive_post_parameters("password"), never_cache], name="dispatch")
class UserPasswordResetView(TenantScopedMixin, DetailView):
    """Reset a user's password for them (the helpdesk's job).

    A generated password is shown once, on the answer to the POST: it is never
    stored, and the answer is not cached.
    """

    permission_required = VIEW_USERS
    model = User
    template_name = "users/user_password_reset.html"
    done_template_name = "users/user_password_reset_done.html"
    context_object_name = "person"

    def get_queryset(self):
        # A deleted user gets a new password when restored, not before.
        return super().get_queryset().active()

    def handle_no_permission(self):
        request = self.request
        if request.method == "POST" and request.user.is_authenticated:
            # Refused before the user is looked up, so only the id asked for is known.
            account_services.password_reset_denied(
                tenant=request.tenant,
                acting_user=request.user,
                target_id=str(self.kwargs["pk"]),
                request=request,
            )
        return super().handle_no_permission()

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        if not can_reset_password(request.user, self.object):
            raise PermissionDenied
        return self.render_to_response(self.get_context_data(form=UserPasswordResetForm()))

    @method_decorator(sensitive_variables("password"))
    def post(self, request, *args, **kwargs):
        self.object = person = self.get_object()
        if not can_reset_password(request.user, person):
            account_services.password_reset_denied(
                tenant=request.tenant, acting_user=request.user, user=person, request=request
            )
            raise PermissionDenied
        form = UserPasswordResetForm(request.POST)
        if form.is_valid():
            try:
                password = account_services.password_reset_by_admin(
                    tenant=request.tenant,
                    user=person,
                    acting_user=request.user,
                    new_password=form.new_password,
                    require_change=form.cleaned_data["require_change"],
                    request=request,
                )
            except ValidationError as error:
                if getattr(error, "code", None) == "forbidden":  # roles changed meanwhile
                    raise PermissionDenied from None
                # The password validators' messages, at the field they are about.
                form.add_error("password", error)
            else:
                return self.response_class(
                    request=request,
                    template=[self.done_template_name],
                    context=self.get_context_data(
                        password=password,
                        generated=form.new_password is None,
                        require_change=form.cleaned_data["require_change"],
                    ),
                    using=self.template_engine,
                )
        return self.render_to_response(self.get_context_data(form=form))


class _ManagedUserMixin(TenantScopedMixin):
    """A form page about one active user whom the signed-in admin may manage."""

    permission_required = CHANGE_USERS
    model = User
    context_object_name = "person"

    def get_queryset(self):
        return super().get_queryset().active()

    def get_person(self):
        person = self.get_object()
        if not services.can_manage(self.request.user, person):
            raise PermissionDenied
        return person


class UserEditView(_ManagedUserMixin, DetailView):
    """Edit a user's profile."""

    template_name = "users/user_edit.html"

    def get(self, request, *args, **kwargs):
        self.object = self.get_person()
        form = UserProfileForm(instance=self.object)
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, *args, **kwargs):
        self.object = person = self.get_person()
        form = UserProfileForm(request.POST, instance=person)
        if form.is_valid():
            try:
                changed = services.user_update(
                    tenant=request.tenant,
                    acting_user=request.user,
                    user=person,
                    request=request,
                    **{name: form.cleaned_data[name] for name in services.PROFILE_FIELDS},
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if changed:
                    messages.success(request, _("The profile was saved."))
                else:
                    messages.info(request, _("Nothing changed."))
                return redirect("users:user_detail", pk=person.pk)
        return self.render_to_response(self.get_context_data(form=form))


class UserContactView(_ManagedUserMixin, DetailView):
    """Edit a user's contact information: mobile phone, alternate email, fax, address."""

    template_name = "users/user_contact.html"

    def get(self, request, *args, **kwargs):
        self.object = self.get_person()
        form = UserContactForm(initial=UserContactForm.initial_for(self.object))
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, *args, **kwargs):
        self.object = person = self.get_person()
        form = UserContactForm(request.POST)
        if form.is_valid():
            try:
                changed = services.user_contact_update(
                    tenant=request.tenant,
                    acting_user=request.user,
                    user=person,
                    request=request,
                    **form.cleaned_data,
                )
            except ValidationError as error:
                if getattr(error, "code", None) == "forbidden":
                    raise PermissionDenied from None
                # One error per value, at its field.
                for name, field_errors in error.error_dict.items():
                    form.add_error(name, field_errors)
            else:
                if changed:
                    messages.success(request, _("The contact information was saved."))
                else:
                    messages.info(request, _("Nothing changed."))
                return redirect("users:user_detail", pk=person.pk)
        return self.render_to_response(self.get_context_data(form=form))


class UserRenameView(_ManagedUserMixin, DetailView):
    """Change a user's sign-in name: a new local part and one of the verified domains."""

    template_name = "users/user_rename.html"

    def get(self, request, *args, **kwargs):
        self.object = self.get_person()
        form = SignInNameForm(
            tenant=request.tenant, initial=SignInNameForm.initial_for(self.object.username)
        )
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, *args, **kwargs):
        self.object = person = self.get_person()
        form = SignInNameForm(request.POST, tenant=request.tenant)
        if form.is_valid():
            try:
                changed = services.user_username_change(
                    tenant=request.tenant,
                    acting_user=request.user,
                    user=person,
                    username=form.username,
                    request=request,
                )
            except ValidationError as error:
                for field_errors in getattr(error, "error_dict", {"": error}).values():
                    form.add_error("local_part", field_errors)
            else:
                if changed:
                    messages.success(
                        request,
                        _("%(name)s now signs in as %(username)s.")
                        % {"name": person.display_name, "username": person.username},
                    )
                return redirect("users:user_detail", pk=person.pk)
        return self.render_to_response(self.get_context_data(form=form))


class UserLicensesView(TenantScopedMixin, DetailView):
    """Set the licenses of one user (also the Licenses section of their page)."""

    permission_required = CHANGE_LICENSES
    model = User
    template_name = "users/user_licenses.html"
    context_object_name = "person"

    def get_queryset(self):
        return super().get_queryset().active()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(_license_context(self.request, self.object))
        return context

    def post(self, request, *args, **kwargs):
        person = self.get_object()
        try:
            wanted = [int(value) for value in request.POST.getlist("subscriptions")]
        except ValueError:
            raise Http404 from None
        try:
            added, removed = billing_services.user_licenses_set(
                tenant=request.tenant,
                acting_user=request.user,
                user=person,
                subscription_ids=wanted,
                request=request,
            )
        except ValidationError as error:
            if error.code == "forbidden":
                raise PermissionDenied from None
            if error.code == "unknown_subscription":
                raise Http404 from None
            messages.error(request, error.messages[0])
        else:
            if added or removed:
                messages.success(request, _("The licenses were saved."))
        return redirect("users:user_detail", pk=person.pk)


class UserGroupsView(TenantScopedMixin, DetailView):
    """A user's groups: join one (by its address or name) or leave some."""

    permission_required = CHANGE_GROUPS
    model = User
    template_name = "users/user_groups.html"
    context_object_name = "person"

    def get_queryset(self):
        return super().get_queryset().active()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        search = self.request.GET.get("q", "")[:100]
        context.update(
            group_memberships=group_selectors.groups_of_user(
                tenant=self.request.tenant, user=self.object
            ),
            search=search,
            group_candidates=group_selectors.group_list(
                tenant=self.request.tenant, params={"q": search}
            )[0][:20]
            if search
            else (),
            can_change_groups=True,
        )
        return context

    def post(self, request, *args, **kwargs):
        person = self.get_object()
        role = request.POST.get("role", "member")
        if role not in ("member", "owner"):
            return HttpResponseBadRequest(_("Unknown role."), content_type="text/plain")
        try:
            ids = {int(value) for value in request.POST.getlist("groups")}
        except ValueError:
            raise Http404 from None
        groups = list(group_selectors.group_list(tenant=request.tenant)[0].filter(pk__in=ids))
        if len(groups) != len(ids):
            raise Http404
        adding = request.POST.get("action") == "join"
        try:
            for group in groups:
                service = (
                    group_services.group_people_add
                    if adding
                    else group_services.group_people_remove
                )
                service(
                    tenant=request.tenant,
                    acting_user=request.user,
                    group=group,
                    users=[person],
                    role=role,
                    request=request,
                )
        except ValidationError as error:
            if error.code == "forbidden":
                raise PermissionDenied from None
            messages.error(request, error.messages[0])
        else:
            if groups:
                messages.success(request, _("The groups were saved."))
        return redirect("users:user_detail", pk=person.pk)
