"""Optional error reports through Sentry (``SENTRY_DSN``), with no personal data in them.

``init`` does nothing without a DSN. With one, the SDK sends no default
personal data (``send_default_pii=False``), no request body and no local
variables, and every event passes ``scrub`` on its way out: passwords, codes,
tokens, secrets, cookies, ``Authorization`` headers, request bodies and query
strings never leave the node, and email addresses and code-like digit runs in
messages are blanked. Events are tagged with the request id (see
``admin_portal.request_log``), which the error page shows to the person.
"""

import re

import sentry_sdk
from sentry_sdk.integrations.django import DjangoIntegration

FILTERED = "[Filtered]"

# A key whose value is a secret or personal wherever it appears (a header, a form
# field, a local variable, an extra).
_SENSITIVE_KEY = re.compile(
    r"pass|pwd|secret|token|code|otp|auth|cookie|session|csrf|api[-_]?key|private|"
    r"credential|signature|sealed|payload|dsn",
    re.IGNORECASE,
)
_SENSITIVE_HEADERS = {
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-csrftoken",
    "x-api-key",
}
_EMAIL = re.compile(r"[^\s@<>()\[\]\"',;:]+@[^\s@<>()\[\]\"',;:]+\.[A-Za-z0-9-]{2,}")
_BEARER = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
# Verification codes, one-time passwords and phone numbers are runs of digits.
_DIGITS = re.compile(r"(?<![\w.])\+?\d[\d ]{4,}\d(?![\w.])")


def init(*, dsn, environment, release=None, traces_sample_rate=0.0):
    """Start the Sentry SDK when ``dsn`` is set; return whether it was started."""
    if not dsn:
        return False
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        traces_sample_rate=traces_sample_rate,
        before_send=scrub,
        before_send_transaction=scrub,
        before_breadcrumb=scrub_breadcrumb,
        integrations=[DjangoIntegration()],
    )
    return True


def scrub(event, hint=None):
    """Return ``event`` (a Sentry event dict) without secrets and personal data."""
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("data", "cookies", "query_string", "env"):
            request.pop(key, None)
        if isinstance(request.get("url"), str):
            request["url"] = request["url"].split("?", 1)[0]
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {
                name: value
                for name, value in headers.items()
                if name.lower() not in _SENSITIVE_HEADERS
            }
    extra = event.get("extra")
    if isinstance(extra, dict):
        # A command line may carry a password (createtenant --password ...).
        extra.pop("sys.argv", None)
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    return _clean(event)


def scrub_breadcrumb(crumb, hint=None):
    """Return ``crumb`` scrubbed like an event."""
    return _clean(crumb)


def _clean(value, key=""):
    if key and _SENSITIVE_KEY.search(key) and value not in (None, "", [], {}):
        return FILTERED
    if isinstance(value, dict):
        return {k: _clean(v, k if isinstance(k, str) else "") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(item, key) for item in value]
    if isinstance(value, str):
        return _clean_text(value)
    return value


def _clean_text(text):
    text = _BEARER.sub(lambda m: f"{m.group(1)} {FILTERED}", text)
    text = _EMAIL.sub(FILTERED, text)
    return _DIGITS.sub(FILTERED, text)
