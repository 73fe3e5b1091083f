"""Shared test helpers: signing in, and the answers every portal view must give."""

import time
from urllib.parse import parse_qs, urlsplit

from accounts.middleware import LAST_SEEN, SIGNED_IN_AT

FORBIDDEN_TEXT = "You don&#x27;t have access"


def sign_in(client, user):
    """Sign ``user`` in on ``client`` without the sign-in form.

    Also starts the portal's session clock, which the sign-in view normally
    starts; without it the tenant middleware ends the session at once.
    """
    client.force_login(user)
    session = client.session
    now = int(time.time())
    session[SIGNED_IN_AT] = now
    session[LAST_SEEN] = now
    session.save()
    return client


def signin_redirect_next(response):
    """Return the ``next`` of a redirect to the sign-in page, or fail."""
    assert response.status_code == 302, response.status_code
    parts = urlsplit(response["Location"])
    assert parts.path == "/signin/", response["Location"]
    return parse_qs(parts.query).get("next", [""])[0]


def assert_redirects_to_signin(response, path):
    """Assert that ``response`` sends an anonymous visitor to sign in, then to ``path``."""
    assert signin_redirect_next(response) == path


def assert_forbidden(response):
    """Assert the portal's own 403 page (not a bare Django one)."""
    assert response.status_code == 403, response.status_code
    content = response.content.decode()
    assert FORBIDDEN_TEXT in content or "You don't have access" in content, content[:500]


def assert_not_found(response):
    """Assert the portal's own 404 page."""
    assert response.status_code == 404, response.status_code
    assert "Page not found" in response.content.decode()


def sidebar(response):
    """Return the HTML of the left navigation of a rendered portal page."""
    content = response.content.decode()
    start = content.index('<nav class="sidebar"')
    return content[start : content.index("</nav>", start)]


# --- Security info -------------------------------------------------------------
# Imported where used: the accounts tests import this module too, and must not
# depend on the security_info app.


class Clock:
    """A settable ``timezone.now``: install it with ``Clock.install(monkeypatch)``."""

    def __init__(self, now):
        self.now = now

    @classmethod
    def install(cls, monkeypatch):
        from django.utils import timezone

        clock = cls(timezone.now())
        monkeypatch.setattr(timezone, "now", lambda: clock.now)
        return clock

    def advance(self, **delta):
        from datetime import timedelta

        self.now += timedelta(**delta)
        return self.now


def code_in(text):
    """Return the 6-digit code in a message's text, or fail."""
    import re

    found = re.findall(r"\b(\d{6})\b", text)
    assert found, f"no 6-digit code in {text!r}"
    return found[-1]


def last_sms_code(to=None):
    """Return the code in the last SMS (to ``to``, if given) of security_info.sms.outbox."""
    from security_info import sms

    messages = [m for m in sms.outbox if to is None or m.to == to]
    assert messages, f"no SMS sent{f' to {to}' if to else ''}"
    return code_in(messages[-1].body)


def last_mail_code(to=None):
    """Return the code in the last email (to ``to``, if given) of django.core.mail.outbox."""
    from django.core import mail

    messages = [m for m in mail.outbox if to is None or to in m.to]
    assert messages, f"no email sent{f' to {to}' if to else ''}"
    return code_in(messages[-1].body)


def reauthenticate(client, seconds_ago=0):
    """Mark ``client``'s session as re-authenticated ``seconds_ago`` (for security info)."""
    from security_info.views import REAUTH_AT

    session = client.session
    session[REAUTH_AT] = int(time.time()) - seconds_ago
    session.save()
    return client


def make_phone(user, number="+31612345678", *, confirmed=True):
    """Give ``user`` a mobile phone (verified unless ``confirmed=False``), without codes."""
    from django.utils import timezone

    from security_info.models import PhoneDevice

    return PhoneDevice.objects.create(
        user=user,
        name="Mobile phone",
        number=number,
        confirmed=confirmed,
        verified_at=timezone.now() if confirmed else None,
    )


def make_alt_email(user, email="someone@example.org", *, confirmed=True):
    """Give ``user`` an alternate email (verified unless ``confirmed=False``), without codes."""
    from django.utils import timezone

    from security_info.models import AltEmailDevice

    return AltEmailDevice.all_objects.create(
        user=user,
        name="Alternate email",
        email=email,
        confirmed=confirmed,
        verified_at=timezone.now() if confirmed else None,
    )


def make_app(user, name="Authenticator app", *, confirmed=True):
    """Give ``user`` an authenticator app (a TOTP device)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.create(user=user, name=name, confirmed=confirmed)


def totp_code(device):
    """Return the code an authenticator app with ``device``'s key shows now."""
    from django_otp.oath import TOTP

    token = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()
    return f"{token:0{device.digits}d}"


def last_file_code(folder):
    """Return the last 6-digit code in the newest file of ``folder`` (file SMS/email backends)."""
    from pathlib import Path

    files = sorted(Path(folder).glob("*"), key=lambda path: path.stat().st_mtime_ns)
    assert files, f"nothing was sent to {folder}"
    return code_in(files[-1].read_text())


def _attempt_from(username, ip):
    from django.test import RequestFactory

    from accounts import lockout

    return lockout.SignInAttempt(RequestFactory().post("/", REMOTE_ADDR=ip), username)


def lock_out(username, ip="127.0.0.1"):
    """Fail sign-ins of ``username`` from ``ip`` until that pair is locked."""
    from django.conf import settings

    for _ in range(settings.PORTAL_LOCKOUT_ATTEMPTS):
        _attempt_from(username, ip).reserve().failed()


def is_locked_out(username, ip="127.0.0.1"):
    """Return whether the next sign-in attempt of ``username`` from ``ip`` would be refused."""
    return _attempt_from(username, ip).is_locked()


def failures_of(username, ip="127.0.0.1"):
    """Return the failures counted for ``username`` from ``ip``."""
    from django.core.cache import cache

    return cache.get(_attempt_from(username, ip).pair.key) or 0


def run_together(*works):
    """Run each callable of ``works`` in its own thread, all released at once.

    Return their results in order, an exception standing for its result. Each
    thread closes its database connections when done. The waits are guards
    against a hang, never measurements.
    """
    import threading

    from django.db import connections

    start = threading.Barrier(len(works))
    results = [None] * len(works)

    def run(index):
        try:
            start.wait(timeout=300)
            results[index] = works[index]()
        except Exception as error:
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(works))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not any(thread.is_alive() for thread in threads), "a parallel request hangs"
    return results


def left_for(response):
    """Return where an answer sends the browser: a redirect's Location, or the address a
    "continue elsewhere" page (accounts.views.continue_elsewhere) goes on to."""
    if 300 <= response.status_code < 400:
        return response["Location"]
    assert response.status_code == 200, response.status_code
    assert response.templates[0].name == "registration/continue.html", response.templates
    return response.context["continue_url"]
