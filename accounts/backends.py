"""Authentication backend: sign-in by sign-in name, permissions from roles."""

from django.contrib.auth.backends import ModelBackend

from accounts.models import User
from accounts.roles import permissions_for_roles


class PortalBackend(ModelBackend):
    """Authenticate tenant users and operators; grant permissions through roles.

    Operators (users without a tenant) keep Django's model permissions for the
    operators' site. Tenant users get exactly the permissions of their roles.
    A user who may not hold a session (blocked, deleted, suspended tenant) is
    refused here, so their open sessions end on the next request too.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is not None:
            username = User.objects.normalize_username(username)
        return super().authenticate(request, username=username, password=password, **kwargs)

    def user_can_authenticate(self, user):
        return user.can_sign_in

    def get_user(self, user_id):
        try:
            user = User._default_manager.select_related("tenant").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if user_obj.tenant_id is None:
            return super().get_all_permissions(user_obj, obj)
        if not hasattr(user_obj, "_portal_perm_cache"):
            user_obj._portal_perm_cache = set(permissions_for_roles(user_obj.role_codes))
        return user_obj._portal_perm_cache

    def has_perm(self, user_obj, perm, obj=None):
        return perm in self.get_all_permissions(user_obj, obj)

    def has_module_perms(self, user_obj, app_label):
        return any(p.startswith(app_label + ".") for p in self.get_all_permissions(user_obj))
