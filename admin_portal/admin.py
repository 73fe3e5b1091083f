"""The operators' site: Django's admin at /operators/, behind a verified second factor."""

import re
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite

from accounts import signin
from accounts.audit import audit_record
from core import outbox
from core.admin import ReadOnlyAdmin
from core.models import OutboundMessage
from core.sms import mask_number
from security_info.validators import mask_email

# An address or a number inside a mail server's or gateway's error text.
_EMAIL_IN_TEXT = re.compile(r"[^\s@<>()\[\]\"',;:{}]+@[^\s@<>()\[\]\"',;:{}]+")
_NUMBER_IN_TEXT = re.compile(r"\+\d{6,15}")


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
        # No bulk delete anywhere: one click must never destroy an organization's
        # data. Organizations are deleted one at a time, suspended first, by a
        # typed confirmation (accounts.admin.TenantAdmin.delete_view).
        self.disable_action("delete_selected")

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


class OutboundMessageAdmin(ReadOnlyAdmin):
    """The outbox for operators: what is waiting, what was given up and why; send notices again.

    Registered by AdminPortalConfig.ready(): this module defines the site itself,
    so a register() here would run while the site is still being made.
    """

    list_display = [
        "created_at",
        "channel",
        "kind",
        "shown_recipients",
        "status",
        "attempts",
        "shown_last_error",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["status", "channel", "kind"]
    fields = [*list_display[:-3], "deadline", "next_attempt_at", "sent_at"]
    readonly_fields = fields
    actions = ["send_again"]

    @admin.display(description=_("recipients"))
    def shown_recipients(self, obj):
        """Return the recipients masked: operators need to tell messages apart, not to read them."""
        if obj.channel == OutboundMessage.Channel.SMS:
            return mask_number(obj.recipients)
        return ", ".join(mask_email(address.strip()) for address in obj.recipients.split(","))

    @admin.display(description=_("last error"))
    def shown_last_error(self, obj):
        """Return the last error with any address or number in it masked (servers quote them)."""
        text = _EMAIL_IN_TEXT.sub(lambda match: mask_email(match.group()), obj.last_error)
        return _NUMBER_IN_TEXT.sub(lambda match: mask_number(match.group()), text)

    @admin.action(description=_("Send the selected given-up messages again"))
    def send_again(self, request, queryset):
        with transaction.atomic():
            queued = outbox.resend(queryset)
            for message in queued:
                audit_record(
                    action="operator.outbox.resend",
                    actor=request.user,
                    request=request,
                    target=message,
                )
        if queued:
            self.message_user(
                request,
                _("Messages queued to be sent again: %(count)d.") % {"count": len(queued)},
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                _(
                    "Nothing to send: only given-up messages that still hold their text "
                    "(notices, not codes) can be sent again."
                ),
                messages.WARNING,
            )
