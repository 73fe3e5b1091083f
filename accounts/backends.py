"""Authentication backend: sign-in by sign-in name, permissions from roles."""

from django.contrib.auth.backends import ModelBackend

from accounts.models import User
from accounts.roles import permissions_for_roles
from core.prepared import PreparedQuery

_SESSION_USER = PreparedQuery(
    lambda pk: User._default_manager.select_related("tenant").with_role_codes().filter(pk=pk),
    pk=int,
)

# The request attribute on which authenticate() leaves an account whose password
# was right but which may not sign in (sign-in shows why only then).
REFUSED_ATTR = "portal_signin_refused"


class PortalBackend(ModelBackend):
    """Authenticate tenant users and operators; grant permissions through roles.

    Operators (users without a tenant) keep Django's model permissions for the
    operators' site. Tenant users get exactly the permissions of their roles.
    A user who may not hold a session (blocked, deleted, suspended tenant) is
    refused here, so their open sessions end on the next request too.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        username = User.objects.normalize_username(username)
        try:
            user = User._default_manager.select_related("tenant").get(
                **{User.USERNAME_FIELD: username}
            )
        except User.DoesNotExist:
            # Hash anyway, so a name that doesn't exist takes as long (Django's defense).
            User().set_password(password)
            return None
        if not user.check_password(password):
            return None
        if not self.user_can_authenticate(user):
            if request is not None:
                setattr(request, REFUSED_ATTR, user)
            return None
        return user

    def user_can_authenticate(self, user):
        return user.can_sign_in

    def get_user(self, user_id):
        # Every request reads its user, organization and roles: one read, compiled once.
        try:
            pk = int(user_id)
        except (TypeError, ValueError, OverflowError):
            return None
        found = _SESSION_USER(pk=pk) if 0 < pk < 2**63 else None
        if not found:
            return None
        user = found[0]
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
