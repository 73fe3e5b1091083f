"""The portal's own exceptions, shared by services and the view layer."""

from django.core.exceptions import PermissionDenied


class Forbidden(PermissionDenied):
    """A service's refusal: the acting user may not do what was asked.

    Services raise it, with a message for the person, before they change
    anything. It is Django's ``PermissionDenied``, so the request answers 403
    with the portal's 403 page in one place (Django's handler); no view catches
    it. A rule that the data breaks (a name taken, the last Global admin) stays a
    ``ValidationError``: the person can fix that, not a role they lack.
    """
