"""Deleted users: the list and restoring one."""

import math
from functools import partial

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables
from django.views.generic import TemplateView

from accounts.mixins import TenantScopedMixin
from accounts.roles import (
    DELETE_USERS,
    VIEW_USERS,
)
from core.views.detail import ActionView
from users import selectors, services
from users.forms import (
    UserRestoreForm,
)
from users.models import DeletedUser


class DeletedUserListView(TenantScopedMixin, TemplateView):
    """Deleted users with the days left to restore them, newest first."""

    permission_required = VIEW_USERS
    template_name = "users/user_deleted_list.html"
    paginate_by = 50

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        search = " ".join(self.request.GET.get("q", "").split())[: selectors.SEARCH_MAX_LENGTH]
        users = selectors.deleted_user_list(tenant=self.request.tenant, search=search)
        page = Paginator(users, self.paginate_by).get_page(self.request.GET.get("page"))
        now = timezone.now()
        for user in page.object_list:
            user.restore_until = services.restore_deadline(user)
            # Started days count: a user deleted a minute ago has 30 days left.
            user.days_left = max(math.ceil((user.restore_until - now).total_seconds() / 86400), 0)
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            page_obj=page,
            deleted_users=page.object_list,
            search=search,
            query=query.urlencode(),
            can_restore=self.request.user.has_perm(DELETE_USERS),
            restore_days=services.RESTORE_DAYS,
        )
        return context


@method_decorator(never_cache, name="dispatch")
class UserRestoreView(TenantScopedMixin, ActionView):
    """Restore a deleted user under their old (or a new) sign-in name."""

    permission_required = DELETE_USERS
    model = DeletedUser
    access_object = staticmethod(partial(selectors.access_user_by_id, deleted=True))
    form_class = UserRestoreForm
    template_name = "users/user_restore.html"
    done_template_name = "users/user_restore_done.html"
    context_object_name = "person"

    def check_object(self, person):
        if not services.can_delete(self.request.user, person):
            raise PermissionDenied

    def get_form_kwargs(self):
        return {
            "tenant": self.request.tenant,
            "initial": {"username": self.object.deleted_username},
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["released_licenses"] = selectors.released_license_names(
            tenant=self.request.tenant, user=self.object
        )
        return context

    @method_decorator(sensitive_variables("restored"))
    def perform(self, form):
        return services.user_restore(
            tenant=self.request.tenant,
            acting_user=self.request.user,
            user=self.object,
            username=form.cleaned_data["username"],
            request=self.request,
        )

    def refused(self, form, error):
        if hasattr(error, "error_dict"):
            # Every field error here is about the sign-in name given.
            for field_errors in error.error_dict.values():
                form.add_error("username", field_errors)
        else:
            form.add_error(None, error)
        return self.form_invalid(form)

    @method_decorator(sensitive_variables("restored"))
    def done(self, form, restored):
        return self.response_class(
            request=self.request,
            template=[self.done_template_name],
            context={"person": self.object, "restored": restored},
            using=self.template_engine,
        )
