"""The Active users list's actions on the selected users."""

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables

from accounts import services as account_services
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
from users import exports, selectors, services


@method_decorator(never_cache, name="dispatch")
class UserBulkView(TenantScopedMixin, View):
    """The list's actions on the selected users: block, unblock, reset password, export."""

    permission_required = VIEW_USERS
    confirm_reset_template = "users/user_bulk_reset.html"
    confirm_delete_template = "users/user_bulk_delete.html"
    reset_done_template = "users/user_bulk_reset_done.html"

    def post(self, request):
        action = request.POST.get("action", "")
        back = self.back_url()
        try:
            ids = [int(value) for value in request.POST.getlist("ids")]
        except ValueError:
            raise Http404 from None
        if not ids:
            messages.error(request, _("Select at least one user first."))
            return redirect(back)
        try:
            users = services.bulk_targets(tenant=request.tenant, user_ids=ids)
        except ValidationError as error:
            if error.code == "not_found":
                raise Http404 from None
            messages.error(request, error.messages[0])
            return redirect(back)
        if action in ("block", "unblock"):
            return self.block(request, users, blocked=action == "block", back=back)
        if action == "reset":
            return self.reset(request, users, back=back)
        if action == "delete":
            return self.delete(request, users, back=back)
        if action in ("assign_license", "unassign_license"):
            return self.licenses(request, users, assign=action == "assign_license", back=back)
        if action == "export":
            services.user_export_record(
                tenant=request.tenant,
                acting_user=request.user,
                params={"ids": [str(user.pk) for user in users]},
                total=len(users),
                request=request,
            )
            return streaming_csv_response(
                "users-selected.csv",
                exports.header(),
                exports.rows(
                    request.tenant,
                    selectors.user_list(tenant=request.tenant)[0]
                    .filter(pk__in=[user.pk for user in users])
                    .order_by(*selectors.sort_expressions(selectors.DEFAULT_SORT))
                    .only(*exports.FIELDS),
                ),
            )
        messages.error(request, _("Choose an action."))
        return redirect(back)

    def back_url(self):
        """Return where the action was started: a user's page, or the list as it was."""
        ids = self.request.POST.getlist("ids")
        if self.request.POST.get("return_to") == "detail" and len(ids) == 1 and ids[0].isdigit():
            return reverse("users:user_detail", args=[int(ids[0])])
        # Parsed and encoded again: only a query string of our own list comes back.
        query = QueryDict(self.request.POST.get("query", "")).urlencode()
        base = reverse("users:user_list")
        return f"{base}?{query}" if query else base

    def licenses(self, request, users, *, assign, back):
        if not request.user.has_perm(CHANGE_LICENSES):
            raise PermissionDenied
        try:
            subscription = billing_selectors.live_subscriptions(tenant=request.tenant).get(
                pk=int(request.POST.get("subscription", ""))
            )
        except (ValueError, ObjectDoesNotExist):
            messages.error(request, _("Choose a product first."))
            return redirect(back)
        service = billing_services.license_assign if assign else billing_services.license_unassign
        try:
            count = service(
                tenant=request.tenant,
                acting_user=request.user,
                subscription=subscription,
                users=users,
                request=request,
            )
        except ValidationError as error:
            if error.code == "forbidden":
                raise PermissionDenied from None
            messages.error(request, error.messages[0])
            return redirect(back)
        text = (
            ngettext(
                "%(product)s assigned to %(count)d user.",
                "%(product)s assigned to %(count)d users.",
                count,
            )
            if assign
            else ngettext(
                "%(product)s taken away from %(count)d user.",
                "%(product)s taken away from %(count)d users.",
                count,
            )
        )
        messages.success(request, text % {"product": subscription.product.name, "count": count})
        return redirect(back)

    def delete(self, request, users, *, back):
        if not request.user.has_perm(DELETE_USERS):
            raise PermissionDenied
        if request.POST.get("confirm") != "yes":
            allowed = [user for user in users if services.can_delete(request.user, user)]
            return render(
                request,
                self.confirm_delete_template,
                {
                    "allowed": allowed,
                    "refused": [user for user in users if user not in allowed],
                    "query": request.POST.get("query", ""),
                    "back": back,
                    "restore_days": services.RESTORE_DAYS,
                },
            )
        try:
            deleted = services.users_delete(
                tenant=request.tenant, acting_user=request.user, users=users, request=request
            )
        except ValidationError as error:
            if error.code == "forbidden":
                raise PermissionDenied(error.messages[0]) from None
            messages.error(request, error.messages[0])
            return redirect(back)
        messages.success(
            request,
            ngettext(
                "%(count)d user was deleted. You can restore them from Deleted users "
                "within %(days)d days.",
                "%(count)d users were deleted. You can restore them from Deleted users "
                "within %(days)d days.",
                deleted,
            )
            % {"count": deleted, "days": services.RESTORE_DAYS},
        )
        # A deleted user's page is gone from the list: go back to the list.
        query = QueryDict(request.POST.get("query", "")).urlencode()
        return redirect(f"{reverse('users:user_list')}?{query}" if query else "users:user_list")

    def block(self, request, users, *, blocked, back):
        if not request.user.has_perm(CHANGE_USERS):
            raise PermissionDenied
        try:
            changed = services.users_sign_in_block(
                tenant=request.tenant,
                acting_user=request.user,
                users=users,
                blocked=blocked,
                request=request,
            )
        except ValidationError as error:
            if error.code == "forbidden":
                raise PermissionDenied(error.messages[0]) from None
            messages.error(request, error.messages[0])
            return redirect(back)
        if blocked:
            text = ngettext(
                "Sign-in blocked for %(count)d user.",
                "Sign-in blocked for %(count)d users.",
                changed,
            )
        else:
            text = ngettext(
                "Sign-in allowed again for %(count)d user.",
                "Sign-in allowed again for %(count)d users.",
                changed,
            )
        messages.success(request, text % {"count": changed})
        return redirect(back)

    @method_decorator(sensitive_variables("passwords"))
    def reset(self, request, users, *, back):
        if not request.user.has_perm(RESET_PASSWORDS):
            for user in users:
                account_services.password_reset_denied(
                    tenant=request.tenant, acting_user=request.user, user=user, request=request
                )
            raise PermissionDenied
        if request.POST.get("confirm") != "yes":
            allowed = [user for user in users if can_reset_password(request.user, user)]
            refused = [user for user in users if user not in allowed]
            return render(
                request,
                self.confirm_reset_template,
                {
                    "allowed": allowed,
                    "refused": refused,
                    "query": request.POST.get("query", ""),
                    "back": back,
                },
            )
        try:
            passwords = services.users_password_reset(
                tenant=request.tenant,
                acting_user=request.user,
                users=users,
                require_change=request.POST.get("require_change") == "on",
                request=request,
            )
        except ValidationError as error:
            if error.code == "forbidden":
                raise PermissionDenied(error.messages[0]) from None
            raise
        return render(
            request,
            self.reset_done_template,
            {
                "passwords": passwords,
                "require_change": request.POST.get("require_change") == "on",
                "back": back,
            },
        )
