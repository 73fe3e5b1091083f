"""What the Billing pages share: the action view's shape and how a refusal is shown."""

from django.contrib import messages
from django.views import View

from accounts.mixins import TenantScopedMixin


class ActionView(TenantScopedMixin, View):
    """One action on one object named by the URL's id: POST only, then back to a page.

    ``model`` names the model of that id (the tenant isolation sweep reads it);
    ``post`` fetches the row through the area's ``access_<model>_by_id``.
    """

    http_method_names = ["post"]
    model = None


def report(request, error):
    """Show a service's ValidationError as messages on the next page."""
    for message in error.messages:
        messages.error(request, message)


def report_form(request, form):
    """Show the first error of an invalid action form as a message on the next page."""
    messages.error(request, next(iter(form.errors.values()))[0])
