"""Send text messages (SMS) through a backend chosen by settings.

This mirrors Django's email backends (``django.core.mail.backends``): callers
use one function, ``send_sms(to, body)``, and ``settings.SMS_BACKEND`` decides
where the message goes:

``console`` (the default)
    Print the message on standard output, for development.
``locmem``
    Append a ``Message`` to ``outbox`` (``security_info.sms.outbox``), for tests.
``file``
    Write one file per message into ``settings.SMS_FILE_PATH``: the number on
    the first line, the text after it.
``http``
    POST ``{"to": ..., "body": ...}`` as JSON to ``settings.SMS_HTTP_URL``,
    with ``Authorization: Bearer <SMS_HTTP_TOKEN>`` when a token is set and
    ``SMS_HTTP_TIMEOUT`` seconds per network operation.

``SMS_BACKEND`` may also be the dotted path of a class with a ``send(message)``
method. The backend is resolved on every call, so ``override_settings`` works.

``send_sms`` either hands the message over or raises ``SMSDeliveryError``;
callers tell the user the code could not be sent and save nothing. A
misconfigured backend raises ``ImproperlyConfigured`` instead, because that is
for the operator to fix, not the user. Message bodies carry verification codes:
no backend here logs them.
"""

import contextlib
import json
import logging
import os
import re
import secrets
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from http.client import HTTPException
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

# Messages sent with the locmem backend. Tests only: a second app node would
# not see this list, so nothing in production may rely on it.
outbox = []

BACKENDS = {
    "console": "core.sms.ConsoleBackend",
    "locmem": "core.sms.LocmemBackend",
    "file": "core.sms.FileBackend",
    "http": "core.sms.HttpBackend",
}

# E.164: a plus, a country code that does not start with 0, at most 15 digits.
E164 = re.compile(r"\+[1-9][0-9]{1,14}")


class SMSDeliveryError(Exception):
    """The backend could not deliver the message (gateway error, timeout, no connection)."""


@dataclass(frozen=True)
class Message:
    """One text message: ``to`` is an E.164 number, ``body`` the text."""

    to: str
    body: str


def send_sms(to, body):
    """
    Send one text message to ``to`` (an E.164 string such as "+31612345678").

    Raise SMSDeliveryError when the backend could not deliver it, and
    ImproperlyConfigured when the SMS settings are wrong.
    """
    if not isinstance(to, str) or not E164.fullmatch(to):
        # A programming error, not a user error: forms normalize numbers to
        # E.164 before anything is sent, so fail loudly instead of letting a
        # gateway guess what a national number means.
        raise ValueError(f"SMS recipient must be an E.164 string, not {to!r}.")
    get_backend().send(Message(to=to, body=body))


def get_backend(backend=None, **kwargs):
    """
    Return an instance of the SMS backend named by ``backend`` or SMS_BACKEND.

    Accept a short name (console, locmem, file, http) or the dotted path of a
    class; pass ``kwargs`` to its constructor.
    """
    name = backend or settings.SMS_BACKEND
    path = BACKENDS.get(name, name)
    if "." not in path:
        raise ImproperlyConfigured(
            f"SMS_BACKEND {name!r} is not a known backend. Use one of "
            f"{', '.join(BACKENDS)} or the dotted path of a backend class."
        )
    try:
        backend_class = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"SMS_BACKEND {name!r} could not be imported: {exc}") from exc
    return backend_class(**kwargs)


def mask_number(number):
    """Return ``number`` with all but the first three and last two digits hidden, for logs."""
    return number[:3] + "*" * max(len(number) - 5, 0) + number[-2:]


class BaseBackend:
    """Base class for SMS backends: subclasses implement ``send``."""

    def send(self, message):
        """Deliver ``message`` or raise SMSDeliveryError."""
        raise NotImplementedError("Subclasses of BaseBackend must provide a send() method.")


class ConsoleBackend(BaseBackend):
    """Write messages to standard output (the development default)."""

    # Keep lines from concurrent requests of the runserver whole.
    _lock = threading.Lock()

    def __init__(self, stream=None):
        # Look sys.stdout up now, not at import, so redirection (capsys) works.
        self.stream = stream or sys.stdout

    def send(self, message):
        with self._lock:
            self.stream.write(f"SMS to {message.to}: {message.body}\n")
            self.stream.flush()


class LocmemBackend(BaseBackend):
    """Append messages to ``outbox`` (``security_info.sms.outbox``), for tests."""

    def send(self, message):
        outbox.append(message)


class FileBackend(BaseBackend):
    """Write each message to its own file in SMS_FILE_PATH."""

    def __init__(self, file_path=None):
        path = file_path if file_path is not None else settings.SMS_FILE_PATH
        if not path:
            raise ImproperlyConfigured("SMS_FILE_PATH must be set for the file SMS backend.")
        self.file_path = os.path.abspath(path)
        if os.path.exists(self.file_path) and not os.path.isdir(self.file_path):
            raise ImproperlyConfigured(
                f"SMS_FILE_PATH {self.file_path!r} exists and is not a directory."
            )
        try:
            os.makedirs(self.file_path, exist_ok=True)
        except OSError as exc:
            raise ImproperlyConfigured(
                f"SMS_FILE_PATH {self.file_path!r} could not be created: {exc}"
            ) from exc

    def send(self, message):
        # The timestamp sorts the files in sending order; the random part keeps
        # two messages in the same microsecond (or from two nodes) apart.
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        name = f"{stamp}-{secrets.token_hex(4)}.txt"
        # Write next to the target and rename, so a reader polling the folder
        # never sees half a message; the dot and .tmp keep *.txt globs off it.
        fd, tmp_path = tempfile.mkstemp(dir=self.file_path, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(f"{message.to}\n{message.body}\n")
            os.replace(tmp_path, os.path.join(self.file_path, name))
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp_path)
            raise SMSDeliveryError(f"Could not write the SMS file: {exc}") from exc


class HttpBackend(BaseBackend):
    """POST each message as JSON to an HTTP gateway at SMS_HTTP_URL."""

    def __init__(self, url=None, token=None, timeout=None):
        self.url = url if url is not None else settings.SMS_HTTP_URL
        self.token = token if token is not None else settings.SMS_HTTP_TOKEN
        self.timeout = float(timeout if timeout is not None else settings.SMS_HTTP_TIMEOUT)
        if not self.url:
            raise ImproperlyConfigured("SMS_HTTP_URL must be set for the http SMS backend.")
        # urllib also opens file:// and ftp:// URLs; a gateway is only ever http(s).
        if urlsplit(self.url).scheme not in {"http", "https"}:
            raise ImproperlyConfigured("SMS_HTTP_URL must be an http:// or https:// URL.")
        if self.timeout <= 0:
            raise ImproperlyConfigured("SMS_HTTP_TIMEOUT must be a positive number of seconds.")

    def send(self, message):
        payload = json.dumps({"to": message.to, "body": message.body}).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        # The scheme was checked in __init__: only http(s), never file:// (ruff S310).
        request = urllib.request.Request(  # noqa: S310
            self.url, data=payload, headers=headers, method="POST"
        )
        # Built per call so proxy environment variables are read now, as
        # urllib.request.urlopen would; redirects are refused (see below).
        opener = urllib.request.build_opener(_NoRedirectHandler)
        host = urlsplit(self.url).hostname
        to = mask_number(message.to)
        try:
            with opener.open(request, timeout=self.timeout) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            exc.close()
            # The gateway's answer may echo the message: log the status only.
            logger.warning("SMS to %s via %s failed: HTTP %s", to, host, exc.code)
            raise SMSDeliveryError(f"The SMS gateway answered HTTP {exc.code}.") from exc
        except (OSError, HTTPException) as exc:
            # URLError, TimeoutError and ConnectionError are all OSErrors; a
            # malformed answer is an HTTPException.
            reason = getattr(exc, "reason", exc)
            logger.warning("SMS to %s via %s failed: %s", to, host, reason)
            raise SMSDeliveryError(f"The SMS gateway could not be reached: {reason}") from exc
        logger.debug("SMS to %s via %s accepted: HTTP %s", to, host, status)


class _NoRedirectHandler(urllib.request.HTTPRedirectHandler):
    """
    Refuse redirects: urllib would resend as a GET without the message, and
    would carry the Authorization header to whatever host the gateway names.
    Returning None turns the 3xx into an HTTPError.
    """

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None
