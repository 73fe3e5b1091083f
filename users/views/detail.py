"""A user's page and the actions taken from it, one URL and one small view per action."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.formats import localize
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from accounts import services as account_services
from accounts.audit import action_label
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
from core import l10n
from core.pagecache import EVENTS, CachedPageMixin
from core.views.detail import ActionView, ObjectView
from groups import selectors as group_selectors
from groups import services as group_services
from security_info import selectors as security_info_selectors
from users import selectors, services
from users.forms import (
    GroupSearchForm,
    SignInNameForm,
    TemporaryPassForm,
    UserContactForm,
    UserGroupsForm,
    UserLicensesForm,
    UserPasswordResetForm,
    UserProfileForm,
)


def _license_context(request, person):
    """Return the Licenses section of a user's page: each product, held or not."""
    return {
        "license_rows": [
            {**row, "free_text": _("%(free)s free") % {"free": localize(row["available"])}}
            for row in billing_selectors.license_rows(tenant=request.tenant, user=person)
        ],
        "can_change_licenses": request.user.has_perm(CHANGE_LICENSES) and not person.deleted_at,
    }


def access_user_or_deleted(actor, user_id):
    """Return the active or deleted user ``user_id`` of ``actor``'s organization, or 404."""
    try:
        return selectors.access_user_by_id(actor, user_id)
    except Http404:
        return selectors.access_user_by_id(actor, user_id, deleted=True)


class UserDetailView(TenantScopedMixin, CachedPageMixin, ObjectView):
    """A user's page: account, contact information, licenses, groups, and (when allowed)
    authentication methods and activity. A deleted user's page says so.
    """

    permission_required = VIEW_USERS
    page_cache_scope = EVENTS  # the last sign-in and the activity
    model = User
    access_object = staticmethod(access_user_or_deleted)
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
            # A deleted user's methods are shown, not changed: their actions are for active users.
            context["can_issue_pass"] = not person.deleted_at and (
                not person.is_admin or GLOBAL_ADMIN in actor.role_codes
            )
            context["pass_form"] = TemporaryPassForm(auto_id="id_pass_%s")
        if actor.has_perm(VIEW_AUDIT):
            # Sign-ins and method changes are the audit log's: only its readers see them.
            activity = selectors.user_activity(tenant=self.request.tenant, user=person)
            # The times in one pass, in the organization's zone and the page's language.
            times = l10n.format_datetimes([event["created_at"] for event in activity])
            context["activity"] = [
                {**event, "when": when, "what": action_label(event["action"])}
                for event, when in zip(activity, times, strict=True)
            ]
        return context


class UserActionView(TenantScopedMixin, ActionView):
    """One action on one active user, confirmed on its own page, then back to their page.

    ``title`` heads the confirmation page and labels its button (or ``button``);
    ``explanation`` says what will happen, with ``%(name)s`` for the user's name.
    """

    model = User
    access_object = staticmethod(selectors.access_user_by_id)
    context_object_name = "person"
    template_name = "users/user_confirm.html"
    title = ""
    explanation = ""
    button = ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            title=self.title,
            explanation=self.explanation % {"name": self.object.display_name},
            button=self.button or self.title,
            cancel_url=self.get_success_url(),
        )
        return context

    def get_success_url(self):
        return reverse("users:user_detail", args=[self.object.pk])


class UserBlockView(UserActionView):
    """Block a user from signing in, after showing what that does."""

    permission_required = CHANGE_USERS
    title = gettext_lazy("Block sign-in")
    explanation = gettext_lazy(
        "%(name)s can't sign in until you allow it again, and is signed out of every "
        "session at their next request. Their account, licenses and groups stay as they are."
    )

    def check_object(self, person):
        if not services.can_manage(self.request.user, person):
            raise PermissionDenied

    def perform(self, form):
        return services.users_sign_in_block(
            tenant=self.request.tenant,
            acting_user=self.request.user,
            users=[self.object],
            blocked=True,
            request=self.request,
        )

    def get_success_message(self, form, changed):
        text = ngettext(
            "Sign-in blocked for %(count)d user.", "Sign-in blocked for %(count)d users.", 1
        )
        return text % {"count": 1}


@method_decorator([sensitive_post_parameters("password"), never_cache], name="dispatch")
class UserPasswordResetView(UserActionView):
    """Reset a user's password for them (the helpdesk's job).

    A generated password is shown once, on the answer to the POST: it is never
    stored, and the answer is not cached.
    """

    permission_required = VIEW_USERS
    form_class = UserPasswordResetForm
    template_name = "users/user_password_reset.html"
    done_template_name = "users/user_password_reset_done.html"

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

    def check_object(self, person):
        request = self.request
        if not can_reset_password(request.user, person):
            if request.method == "POST":
                account_services.password_reset_denied(
                    tenant=request.tenant, acting_user=request.user, user=person, request=request
                )
            raise PermissionDenied

    @method_decorator(sensitive_variables("password"))
    def perform(self, form):
        return account_services.password_reset_by_admin(
            tenant=self.request.tenant,
            user=self.object,
            acting_user=self.request.user,
            new_password=form.new_password,
            require_change=form.cleaned_data["require_change"],
            request=self.request,
        )

    def refused(self, form, error):
        # The password validators' messages, at the field they are about.
        form.add_error("password", error)
        return self.form_invalid(form)

    @method_decorator(sensitive_variables("password"))
    def done(self, form, password):
        return self.response_class(
            request=self.request,
            template=[self.done_template_name],
            context=self.get_context_data(
                password=password,
                generated=form.new_password is None,
                require_change=form.cleaned_data["require_change"],
            ),
            using=self.template_engine,
        )


class _ManagedUserActionView(UserActionView):
    """A form about one active user whom the signed-in admin may manage."""

    permission_required = CHANGE_USERS

    def check_object(self, person):
        if not services.can_manage(self.request.user, person):
            raise PermissionDenied

    def saved(self, changed, text):
        if changed:
            messages.success(self.request, text)
        else:
            messages.info(self.request, _("Nothing changed."))
        return redirect(self.get_success_url())


class UserEditView(_ManagedUserActionView):
    """Edit a user's profile."""

    form_class = UserProfileForm
    template_name = "users/user_edit.html"

    def get_form_kwargs(self):
        return {"instance": self.object}

    def perform(self, form):
        return services.user_update(
            tenant=self.request.tenant,
            acting_user=self.request.user,
            user=self.object,
            request=self.request,
            **{name: form.cleaned_data[name] for name in services.PROFILE_FIELDS},
        )

    def done(self, form, changed):
        return self.saved(changed, _("The profile was saved."))


class UserContactView(_ManagedUserActionView):
    """Edit a user's contact information: mobile phone, alternate email, fax, address."""

    form_class = UserContactForm
    template_name = "users/user_contact.html"

    def get_form(self, data=None):
        if data is None:
            return UserContactForm(initial=UserContactForm.initial_for(self.object))
        return UserContactForm(data)

    def perform(self, form):
        return services.user_contact_update(
            tenant=self.request.tenant,
            acting_user=self.request.user,
            user=self.object,
            request=self.request,
            **form.cleaned_data,
        )

    def done(self, form, changed):
        return self.saved(changed, _("The contact information was saved."))


class UserRenameView(_ManagedUserActionView):
    """Change a user's sign-in name: a new local part and one of the verified domains."""

    form_class = SignInNameForm
    template_name = "users/user_rename.html"

    def get_form_kwargs(self):
        return {
            "tenant": self.request.tenant,
            "initial": SignInNameForm.initial_for(self.object.username),
        }

    def perform(self, form):
        return services.user_username_change(
            tenant=self.request.tenant,
            acting_user=self.request.user,
            user=self.object,
            username=form.username,
            request=self.request,
        )

    def refused(self, form, error):
        for field_errors in getattr(error, "error_dict", {"": error}).values():
            form.add_error("local_part", field_errors)
        return self.form_invalid(form)

    def get_success_message(self, form, changed):
        if not changed:
            return ""
        return _("%(name)s now signs in as %(username)s.") % {
            "name": self.object.display_name,
            "username": self.object.username,
        }


class UserLicensesView(UserActionView):
    """Set the licenses of one user (also the Licenses section of their page)."""

    permission_required = CHANGE_LICENSES
    form_class = UserLicensesForm
    template_name = "users/user_licenses.html"

    def get_form_kwargs(self):
        return {"tenant": self.request.tenant}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(_license_context(self.request, self.object))
        return context

    def perform(self, form):
        return billing_services.user_licenses_set(
            tenant=self.request.tenant,
            acting_user=self.request.user,
            user=self.object,
            subscription_ids=[sub.pk for sub in form.cleaned_data["subscriptions"]],
            request=self.request,
        )

    def get_success_message(self, form, result):
        added, removed = result
        return _("The licenses were saved.") if added or removed else ""


class _UserGroupsPageMixin:
    """The page of a user's groups: theirs, and a search for more to join."""

    permission_required = CHANGE_GROUPS
    model = User
    access_object = staticmethod(selectors.access_user_by_id)
    context_object_name = "person"
    template_name = "users/user_groups.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        search_form = GroupSearchForm(self.request.GET)
        search = search_form.cleaned_data["q"] if search_form.is_valid() else ""
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


class UserGroupsView(_UserGroupsPageMixin, TenantScopedMixin, ObjectView):
    """A user's groups: join some (found by their address or name) or leave some."""


class _UserGroupsChangeView(_UserGroupsPageMixin, UserActionView):
    form_class = UserGroupsForm
    success_message = gettext_lazy("The groups were saved.")
    joining = True

    def get_form_kwargs(self):
        return {"actor": self.request.user}

    def perform(self, form):
        groups = list(form.cleaned_data["groups"])
        return group_services.user_groups_set(
            tenant=self.request.tenant,
            acting_user=self.request.user,
            user=self.object,
            add=groups if self.joining else (),
            remove=() if self.joining else groups,
            role=form.cleaned_data["role"],
            request=self.request,
        )


class UserGroupsJoinView(_UserGroupsChangeView):
    """Add a user to the groups picked, as member or owner."""


class UserGroupsLeaveView(_UserGroupsChangeView):
    """Take a user out of the groups picked (as member, or as owner)."""

    joining = False
