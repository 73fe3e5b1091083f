"""The operators' site: Django's admin at /operators/, behind a verified second factor."""

from urllib.parse import urlencode

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite

from accounts import signin


class OperatorsSite(OTPAdminSite):
    """Admin site for platform operators: staff users of no tenant, verified by OTP.

    Sign-in goes through the portal's own sign-in (lockout, audit, second step);
    a signed-in operator without a verified second factor is told how to get one.
    """

    site_header = _("Platform operators")
    site_title = _("Operators")
    index_title = _("Platform administration")

    def __init__(self, name="admin"):
        super().__init__(name)

    def has_permission(self, request):
        return super().has_permission(request) and request.user.tenant_id is None

    def logout(self, request, extra_context=None):
        """Sign out through the portal, so that it is audited like any other sign-out."""
        if request.method == "POST":
            signin.signout(request)
            return redirect("accounts:signin")
        return super().logout(request, extra_context)

    def login(self, request, extra_context=None):
        user = request.user
        if user.is_authenticated:
            return render(request, "operators_denied.html", status=403)
        next_url = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        return redirect(f"{reverse('accounts:signin')}?{urlencode({'next': next_url})}")
