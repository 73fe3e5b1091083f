"""Notices about changes to a user's security info, sent to their alternate email."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from core import outbox
from security_info.models import AltEmailDevice


def notify_security_change(user, *, change, also_to=()):
    """Tell ``user`` by email that ``change`` happened to their security info.

    Goes to their verified alternate email and to ``also_to`` (an address that
    was just replaced, so its owner learns of the change too). A notice that
    fails goes on through the outbox and never undoes the change.
    """
    recipients = {
        device.email.lower()
        for device in AltEmailDevice.all_objects.filter(user=user, confirmed=True)
    }
    recipients |= {address.lower() for address in also_to if address}
    if not recipients:
        return
    body = render_to_string(
        "security_info/email/change_notice.txt",
        {
            "user": user,
            "change": change,
            "product_name": settings.PORTAL_PRODUCT_NAME,
            "security_info_url": f"{settings.PORTAL_BASE_URL}/security-info/",
        },
    )
    message = EmailMessage(_("Your security info was changed"), body, to=sorted(recipients))
    outbox.send_email(message, kind="security notice")


def notify_admins_of_self_reset(user, admin_addresses):
    """Tell the organization's Global admins that an admin reset their own password."""
    body = _(
        "%(name)s (%(account)s), an admin of your organization, reset their own password "
        "with their security info. If that wasn't expected, check their account in the "
        "admin center: %(url)s"
    ) % {
        "name": user.display_name,
        "account": user.username,
        "url": f"{settings.PORTAL_BASE_URL}/users/{user.pk}/",
    }
    message = EmailMessage(
        _("An admin reset their own password"), body, to=sorted(set(admin_addresses))
    )
    outbox.send_email(message, kind="self-reset notice")
