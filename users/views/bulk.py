"""The Active users list's actions on the selected users, one view per action.

Each posts the list's one form (``bulk-form``); its buttons carry the action's
URL in ``formaction``. A user's own page posts here too, with ``return_to=detail``.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_variables

from accounts.mixins import TenantScopedMixin
from accounts.roles import (
    CHANGE_LICENSES,
    CHANGE_USERS,
    DELETE_USERS,
    RESET_PASSWORDS,
    VIEW_USERS,
    can_reset_password,
)
from billing import selectors as billing_selectors
from billing import services as billing_services
from core.csv_export import streaming_csv_response
from core.views import BulkActionView
from users import exports, selectors, services
from users.forms import UserBulkLicenseForm, UserBulkPasswordResetForm


class UserBulkView(TenantScopedMixin, BulkActionView):
    """An action on active users of the acting admin's organization, at most BULK_MAX."""

    permission_required = VIEW_USERS
    list_url_name = "users:user_list"
    detail_url_name = "users:user_detail"
    no_selection_message = _lazy("Select at least one user first.")
    too_many_message = _lazy("Select at most %(max)d users at a time.")

    def get_queryset(self):
        return selectors.users_reachable(self.request.user).order_by("display_name", "pk")

    def get_max_selected(self):
        return services.BULK_MAX

    def service_kwargs(self):
        request = self.request
        return {"tenant": request.tenant, "acting_user": request.user, "request": request}

    def confirm_split(self, form, may):
        """Return the confirmation page's context: who ``may(actor, user)`` covers, who not."""
        context = super().get_confirm_context(form)
        actor = self.request.user
        context["allowed"] = [user for user in context["selected"] if may(actor, user)]
        context["refused"] = [user for user in context["selected"] if not may(actor, user)]
        return context


class UserBulkBlockView(UserBulkView):
    """Block sign-in for the selected users."""

    permission_required = (VIEW_USERS, CHANGE_USERS)
    blocked = True

    def perform(self, form):
        return services.users_sign_in_block(
            users=form.selected(), blocked=self.blocked, **self.service_kwargs()
        )

    def get_success_message(self, form, changed):
        text = ngettext(
            "Sign-in blocked for %(count)d user.", "Sign-in blocked for %(count)d users.", changed
        )
        return text % {"count": changed}


class UserBulkUnblockView(UserBulkBlockView):
    """Allow sign-in again for the selected users."""

    blocked = False

    def get_success_message(self, form, changed):
        text = ngettext(
            "Sign-in allowed again for %(count)d user.",
            "Sign-in allowed again for %(count)d users.",
            changed,
        )
        return text % {"count": changed}


class UserBulkPasswordResetView(UserBulkView):
    """Reset the selected users' passwords: confirm, then the new passwords, shown once.

    Only ``VIEW_USERS`` is needed to post: the service checks the reset right
    for each user and records every refused attempt before it answers 403.
    """

    form_class = UserBulkPasswordResetForm
    confirm_template_name = "users/user_bulk_reset.html"
    done_template_name = "users/user_bulk_reset_done.html"

    def confirm(self, form):
        if not self.request.user.has_perm(RESET_PASSWORDS):
            raise PermissionDenied
        return super().confirm(form)

    def get_confirm_context(self, form):
        return self.confirm_split(form, can_reset_password)

    @method_decorator(sensitive_variables())
    def perform(self, form):
        return services.users_password_reset(
            users=form.selected(),
            require_change=form.cleaned_data["require_change"],
            **self.service_kwargs(),
        )

    @method_decorator(sensitive_variables())
    def success(self, form, passwords):
        return render(
            self.request,
            self.done_template_name,
            {
                "passwords": passwords,
                "require_change": form.cleaned_data["require_change"],
                "back": self.get_back_url(form),
            },
        )


class UserBulkDeleteView(UserBulkView):
    """Delete the selected users (softly, restorable for RESTORE_DAYS days), once confirmed."""

    permission_required = (VIEW_USERS, DELETE_USERS)
    confirm_template_name = "users/user_bulk_delete.html"

    def get_confirm_context(self, form):
        context = self.confirm_split(form, services.can_delete)
        context["restore_days"] = services.RESTORE_DAYS
        return context

    def perform(self, form):
        return services.users_delete(users=form.selected(), **self.service_kwargs())

    def get_success_message(self, form, deleted):
        text = ngettext(
            "%(count)d user was deleted. You can restore them from Deleted users "
            "within %(days)d days.",
            "%(count)d users were deleted. You can restore them from Deleted users "
            "within %(days)d days.",
            deleted,
        )
        return text % {"count": deleted, "days": services.RESTORE_DAYS}

    def get_success_url(self, form):
        # A deleted user's page is gone: back to the list, even from that page.
        return self.get_list_url(form)


class UserBulkLicenseAssignView(UserBulkView):
    """Give each selected user a license of the chosen product."""

    permission_required = (VIEW_USERS, CHANGE_LICENSES)
    form_class = UserBulkLicenseForm
    service = staticmethod(billing_services.license_assign)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["subscriptions"] = billing_selectors.live_subscriptions(tenant=self.request.tenant)
        return kwargs

    def perform(self, form):
        return self.service(
            subscription=form.cleaned_data["subscription"],
            users=form.selected(),
            **self.service_kwargs(),
        )

    def get_success_message(self, form, count):
        text = ngettext(
            "%(product)s assigned to %(count)d user.",
            "%(product)s assigned to %(count)d users.",
            count,
        )
        return text % {"product": form.cleaned_data["subscription"].product.name, "count": count}


class UserBulkLicenseUnassignView(UserBulkLicenseAssignView):
    """Take the chosen product's license away from each selected user."""

    service = staticmethod(billing_services.license_unassign)

    def get_success_message(self, form, count):
        text = ngettext(
            "%(product)s taken away from %(count)d user.",
            "%(product)s taken away from %(count)d users.",
            count,
        )
        return text % {"product": form.cleaned_data["subscription"].product.name, "count": count}


class UserBulkExportView(UserBulkView):
    """The selected users as CSV, in name order; the export is recorded."""

    def perform(self, form):
        users = form.selected()
        services.user_export_record(
            params={"ids": [str(user.pk) for user in users]},
            total=len(users),
            **self.service_kwargs(),
        )
        return users

    def success(self, form, users):
        rows = (
            selectors.user_list(tenant=self.request.tenant)[0]
            .filter(pk__in=[user.pk for user in users])
            .order_by(*selectors.sort_expressions(selectors.DEFAULT_SORT))
            .only(*exports.FIELDS)
        )
        return streaming_csv_response(
            "users-selected.csv", exports.header(), exports.rows(self.request.tenant, rows)
        )
