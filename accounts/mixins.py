"""The one view mixin for portal pages: signed in, permitted, tenant-scoped."""

from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404

from accounts.models import User


class TenantScopedMixin(LoginRequiredMixin, PermissionRequiredMixin):
    """Require a signed-in user of an organization with ``permission_required``; scope lookups.

    ``get_queryset()`` only ever returns rows of ``request.tenant``, so a
    DetailView of another tenant's object answers 404 exactly like a missing
    one. An anonymous visitor is sent to sign in; a signed-in user without the
    permission, or without an organization (an operator, whose superuser
    permissions count in the operators' site only), gets the 403 page. The
    tenant middleware sends operators away first; this holds on its own.
    """

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.user.tenant_id is None:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return super().get_queryset().for_tenant(self.request.tenant)


def active_users_or_404(request, values):
    """Return the active users of ``request.tenant`` named by id in ``values``.

    Answer 404 for anything else (a bad id, a deleted user, another tenant's
    user), exactly as for a missing one, so a crafted form changes nothing.
    """
    try:
        ids = {int(value) for value in values}
    except (TypeError, ValueError):
        raise Http404 from None
    users = list(User.objects.for_tenant(request.tenant).active().filter(pk__in=ids))
    if len(users) != len(ids):
        raise Http404
    return users
