"""Send SMS and email through the outbox: at once, and again later when that fails.

``send_sms`` and ``send_email`` record the message (its text sealed), try it at
once from the caller, and when the gateway or mail server fails, hand it to the
workers, which try again with a growing delay (``OUTBOX_RETRY_SECONDS``, then
twice as long each time, at most ``OUTBOX_RETRY_MAX_SECONDS``) until its
deadline: the code's expiry for a code, ``OUTBOX_NOTICE_HOURS`` for a notice.
A message still unsent at its deadline is given up: it stays in the outbox,
where operators see it in the operators' site (Outbound messages) with the last
error, and may send a notice again. The first try happens at once because a
person is waiting for a code, and the retries are durable: each lives in the
database, and ``retry_due`` (every minute on the beat) picks up any whose task
was lost with a restarted broker.
"""

import base64
import logging
import smtplib
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from core import jobs, sealing, sms
from core.models import OutboundMessage

logger = logging.getLogger(__name__)

# The package's former name: messages sealed before the move stay readable.
PURPOSE = "admin_portal.outbox"
# Longer than any deadline, so a sealed text is readable while it may be sent.
SEAL_DAYS = 8
# However the deadline falls, a message is tried at most this often.
MAX_ATTEMPTS = 40
# Sent messages are kept this long (without their text) for operators, then removed.
KEEP_SENT_DAYS = 30
FAILURES = (sms.SMSDeliveryError, smtplib.SMTPException, OSError)
# Why a message whose sealed text no configured key can read was given up.
UNREADABLE = "The text cannot be read with the current key or any fallback key."

Status = OutboundMessage.Status


def send_sms(to, body, *, kind, deadline, secret=False, reference=""):
    """Send ``body`` to ``to`` (E.164) now, or later if the gateway fails; return the message.

    ``deadline`` is how long (a timedelta) the message is worth sending.
    """
    if not sms.E164.fullmatch(to):
        raise ValueError(f"SMS recipient must be an E.164 string, not {to!r}.")
    return _send(
        OutboundMessage.Channel.SMS,
        recipients=[to],
        payload={"to": to, "body": body},
        kind=kind,
        deadline=deadline,
        secret=secret,
        reference=reference,
    )


def send_email(message, *, kind, deadline=None, secret=False, reference=""):
    """Send ``message`` (an EmailMessage) now, or later if the server fails; return the record."""
    if deadline is None:
        deadline = timedelta(hours=settings.OUTBOX_NOTICE_HOURS)
    payload = {
        "subject": message.subject,
        "body": message.body,
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "attachments": [_attachment(item) for item in message.attachments],
    }
    return _send(
        OutboundMessage.Channel.EMAIL,
        recipients=[*message.to, *message.cc, *message.bcc],
        payload=payload,
        kind=kind,
        deadline=deadline,
        secret=secret,
        reference=reference,
    )


def latest(reference):
    """Return the newest message about ``reference``, or None."""
    return OutboundMessage.objects.filter(reference=reference).first()


def deliver(pk):
    """Try the waiting message ``pk`` once more (the workers' task); return its status.

    A row lock (skipped when held) keeps a retry and the sweeper from sending twice.
    """
    with transaction.atomic():
        message = (
            OutboundMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=pk, status=Status.QUEUED)
            .first()
        )
        if message is None:
            return None
        if timezone.now() >= message.deadline:
            _give_up(message, "The deadline passed before it could be sent.")
            message.save()
        else:
            _attempt(message)
    if message.status == Status.QUEUED:
        _schedule(message)
    return message.status


def retry_due():
    """Try every waiting message whose retry is a minute late (its task was lost); remove old ones.

    One message that cannot be tried (its text unreadable, an error of its own)
    is logged, counted and passed over: the others are still tried. Return how
    many were tried.
    """
    now = timezone.now()
    late = OutboundMessage.objects.filter(
        status=Status.QUEUED, next_attempt_at__lte=now - timedelta(minutes=1)
    ).values_list("pk", flat=True)
    pks = list(late[:500])
    tried = failed = 0
    for pk in pks:
        try:
            status = deliver(pk)
        except Exception:
            failed += 1
            logger.exception("Outbound message %s could not be tried; the sweep goes on", pk)
            continue
        tried += status is not None
    unreadable = OutboundMessage.objects.filter(
        pk__in=pks, status=Status.DEAD, last_error=UNREADABLE
    ).count()
    if failed or unreadable:
        logger.error(
            "Outbox sweep: %s tried, %s unreadable (given up), %s failed with an error",
            tried,
            unreadable,
            failed,
        )
    OutboundMessage.objects.filter(
        status=Status.SENT, sent_at__lt=now - timedelta(days=KEEP_SENT_DAYS)
    ).delete()
    return tried


@transaction.atomic
def resend(queryset):
    """Queue the given-up messages in ``queryset`` once more (an operator's action).

    Messages whose text was wiped (codes) cannot be sent again and are skipped.
    Return the messages queued; the caller audits them.
    """
    now = timezone.now()
    queued = []
    for message in queryset.filter(status=Status.DEAD).exclude(payload=""):
        message.status = Status.QUEUED
        message.deadline = now + timedelta(hours=settings.OUTBOX_NOTICE_HOURS)
        message.next_attempt_at = now
        message.save(update_fields=["status", "deadline", "next_attempt_at"])
        transaction.on_commit(partial(jobs.enqueue, _task(), message.pk))
        queued.append(message)
    return queued


def _send(channel, *, recipients, payload, kind, deadline, secret, reference):
    now = timezone.now()
    message = OutboundMessage.objects.create(
        channel=channel,
        kind=kind,
        recipients=", ".join(recipients),
        reference=reference,
        secret=secret,
        payload=sealing.seal(payload, purpose=PURPOSE),
        deadline=now + deadline,
        next_attempt_at=now,
    )
    _attempt(message)
    if message.status == Status.QUEUED:
        # After the caller's transaction: the worker must find the row.
        transaction.on_commit(partial(_schedule, message))
    return message


def _attempt(message):
    """Send ``message`` once and record how it went (the caller saves nothing more).

    A text that no configured key can read (sealed under a key since removed
    from ``SECRET_KEY_FALLBACKS``) will never be readable by trying again: the
    message is given up at once, its sealed text kept (unless it is a code), so
    an operator who restores the old key can send it again.
    """
    try:
        payload = sealing.unseal(message.payload, purpose=PURPOSE, max_age=SEAL_DAYS * 86400)
    except sealing.SealBroken:
        # No key id or text in the log: only which message, for operators to find.
        logger.error(
            "Outbound message %s (%s) cannot be read with SECRET_KEY or any "
            "SECRET_KEY_FALLBACKS; given up",
            message.pk,
            message.kind,
        )
        _give_up(message, UNREADABLE)
        message.save()
        return
    now = timezone.now()
    message.attempts += 1
    try:
        _transmit(message.channel, payload)
    except FAILURES as error:
        message.last_error = f"{type(error).__name__}: {error}"[:300]
        delay = timedelta(seconds=_delay(message.attempts))
        if now + delay >= message.deadline or message.attempts >= MAX_ATTEMPTS:
            _give_up(message, message.last_error)
        else:
            message.next_attempt_at = now + delay
            # The class only: an SMTP error may name the recipients.
            logger.warning(
                "Outbound message %s (%s) failed, try %s: %s",
                message.pk,
                message.kind,
                message.attempts,
                type(error).__name__,
            )
    else:
        message.status = Status.SENT
        message.sent_at = now
        message.next_attempt_at = None
        message.payload = ""
    message.save()


def _give_up(message, reason):
    message.status = Status.DEAD
    message.last_error = reason[:300]
    message.next_attempt_at = None
    if message.secret:
        message.payload = ""
    logger.error(
        "Outbound message %s (%s) given up after %s tries",
        message.pk,
        message.kind,
        message.attempts,
    )


def _delay(attempts):
    seconds = settings.OUTBOX_RETRY_SECONDS * 2 ** (attempts - 1)
    return min(seconds, settings.OUTBOX_RETRY_MAX_SECONDS)


def _schedule(message):
    delay = max((message.next_attempt_at - timezone.now()).total_seconds(), 0)
    jobs.enqueue_later(_task(), delay, message.pk)


def _task():
    from core.tasks import deliver_message  # noqa: PLC0415 - cycle core.tasks -> core.outbox -> core.tasks

    return deliver_message


def _transmit(channel, payload):
    if channel == OutboundMessage.Channel.SMS:
        sms.send_sms(payload["to"], payload["body"])
        return
    attachments = payload.pop("attachments")
    message = EmailMessage(**payload)
    for name, content, mimetype in attachments:
        message.attach(name, base64.b64decode(content), mimetype)
    message.send()


def _attachment(item):
    name, content, mimetype = item
    if isinstance(content, str):
        content = content.encode()
    return [name, base64.b64encode(content).decode(), mimetype]
