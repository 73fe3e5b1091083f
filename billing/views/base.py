"""The Billing pages' action view: the shared POST-only action, for signed-in admins."""

from accounts.mixins import TenantScopedMixin
from core.views.detail import PostActionView


class ActionView(TenantScopedMixin, PostActionView):
    """One action on one billing object named by the URL's id: POST only, then back.

    Subclasses set ``access_object`` to the area's ``access_<model>_by_id``.
    """
