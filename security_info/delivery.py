"""Sending verification codes by SMS and email, within the sending limits.

Limits are counted in the shared cache, so every app node sees the same counts:
at most 3 SMS to one number per 10 minutes and 10 SMS per user per day (the
same for email codes per address and user). A send that fails at the gateway
goes on through the outbox (``core.outbox``), which tries again until
the code expires.
"""

from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.throttling import count, digest, uncount
from core import outbox
from core.models import OutboundMessage
from security_info.models import CODE_VALID_SECONDS

PER_TARGET_LIMIT = 3
PER_TARGET_SECONDS = 10 * 60
PER_USER_LIMIT = 10
PER_USER_SECONDS = 24 * 60 * 60


class Purpose(models.TextChoices):
    VERIFY = "verify", gettext_lazy("verify this method")
    SIGN_IN = "sign_in", gettext_lazy("sign in")
    RECOVERY = "recovery", gettext_lazy("reset your password")


class DeliveryError(Exception):
    """The code was not sent; ``message`` says why, in words for the user."""

    def __init__(self, message, code):
        super().__init__(message)
        self.message = message
        self.code = code


def _key(kind, value):
    return f"code-sends:{kind}:{digest(value)}"


def _reserve(kind, target, user):
    """Count one send to ``target`` for ``user``, or raise DeliveryError over a limit.

    Count first, then compare (accounts.throttling): of many parallel requests no
    more than the limit get through.
    """
    counted = []
    for key, seconds, limit in (
        (_key(kind, target), PER_TARGET_SECONDS, PER_TARGET_LIMIT),
        (_key(f"{kind}-user", user.pk), PER_USER_SECONDS, PER_USER_LIMIT),
    ):
        counted.append(key)
        if count(key, seconds) > limit:
            # Nothing is sent, so nothing is used up.
            for used in counted:
                uncount(used)
            raise DeliveryError(
                _(
                    "You've asked for too many codes. Wait a few minutes and try again; "
                    "use the last code you received if it hasn't expired."
                ),
                "limit",
            )


def _calling_code_allowed(number):
    allowed = settings.SMS_ALLOWED_CALLING_CODES
    return not allowed or any(number.startswith(f"+{code}") for code in allowed)


def _code_text(code, purpose):
    return _(
        "%(code)s is your %(product)s code to %(purpose)s. It expires in 10 minutes. "
        "Don't share it with anyone."
    ) % {"code": code, "product": settings.PORTAL_PRODUCT_NAME, "purpose": Purpose(purpose).label}


def _prepare(device):
    """Check where the code may go and count the send, before any code exists."""
    if hasattr(device, "number"):
        if not _calling_code_allowed(device.number):
            raise DeliveryError(
                _("Text messages can't be sent to numbers in this country."),
                "country_not_allowed",
            )
        _reserve("sms", device.number, device.user)
    else:
        _reserve("email", device.email.lower(), device.user)


def _transmit(device, code, purpose):
    """Send ``code`` by SMS or email through the outbox; return the outbound message.

    When the gateway fails, the outbox keeps trying until the code expires; the
    page that asked shows how it goes (``delivery_notice``).
    """
    text = _code_text(code, purpose)
    deadline = timedelta(seconds=CODE_VALID_SECONDS)
    reference = device.persistent_id
    if hasattr(device, "number"):
        return outbox.send_sms(
            device.number, text, kind="code", deadline=deadline, secret=True, reference=reference
        )
    message = EmailMessage(
        _("Your %(product)s code") % {"product": settings.PORTAL_PRODUCT_NAME},
        text,
        to=[device.email],
    )
    return outbox.send_email(
        message, kind="code", deadline=deadline, secret=True, reference=reference
    )


def _send_method_code(device, purpose):
    _prepare(device)
    code = device.issue_code()
    return _transmit(device, code, purpose)


def send_phone_code(device, *, purpose):
    """Issue a new code for the phone ``device``, send it by SMS; return the outbound message."""
    return _send_method_code(device, purpose)


def send_email_code(device, *, purpose):
    """Issue a new code for the email ``device``, send it by email; return the outbound message."""
    return _send_method_code(device, purpose)


def deliver_code(device, code, *, purpose):
    """Send ``code`` (made by the caller, such as a reset flow) to a phone or email method.

    Same limits and failure handling as the method's own codes; the method's own
    pending code is left alone.
    """
    _prepare(device)
    return _transmit(device, code, purpose)


def delivery_notice(device):
    """Return what the user should know about the sending of ``device``'s latest code, or "".

    Empty when it was sent (or nothing was); a warning while the outbox is still
    trying; an error once it has given up.
    """
    message = outbox.latest(device.persistent_id)
    if message is None or message.status == OutboundMessage.Status.SENT:
        return ""
    by_sms = message.channel == OutboundMessage.Channel.SMS
    if message.status == OutboundMessage.Status.DEAD:
        return _("We couldn't send the code. Ask for a new code later.")
    if by_sms:
        return _(
            "The text message service isn't answering right now. We'll keep trying to "
            "send your code for a few minutes; enter it here when it arrives."
        )
    return _(
        "The email service isn't answering right now. We'll keep trying to send your "
        "code for a few minutes; enter it here when it arrives."
    )
