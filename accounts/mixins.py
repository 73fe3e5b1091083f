"""The one view mixin for portal pages: signed in, permitted, tenant-scoped."""

from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin


class TenantScopedMixin(LoginRequiredMixin, PermissionRequiredMixin):
    """Require a signed-in user with ``permission_required``; scope every lookup.

    ``get_queryset()`` only ever returns rows of ``request.tenant``, so a
    DetailView of another tenant's object answers 404 exactly like a missing
    one. An anonymous visitor is sent to sign in; a signed-in user without the
    permission gets the 403 page.
    """

    def get_queryset(self):
        return super().get_queryset().for_tenant(self.request.tenant)
