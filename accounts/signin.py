"""Sign-in: password step, optional second step, lockout and audit in one place."""

import time
from urllib.parse import urlencode

from django import forms
from django.contrib.auth import authenticate, login, logout
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django_otp import user_has_device

from accounts import lockout
from accounts.audit import audit_record
from accounts.backends import REFUSED_ATTR
from accounts.middleware import start_session_clock
from accounts.models import User

PENDING = "portal_signin_pending"
# When this session's user last proved who they are by signing in (epoch seconds):
# pages that need a recent proof (changing security info) accept it for a while.
AUTHENTICATED_AT = "portal_authenticated_at"
BACKEND = "accounts.backends.PortalBackend"
# How long the second step may take after the password was accepted.
PENDING_SECONDS = 5 * 60

FAILED = _(
    "That sign-in name and password don't match an account that can sign in here. "
    "Check them and try again."
)
LOCKED = _("Too many failed attempts. Wait a while and try again, or ask your administrator.")
BLOCKED = _("Your account is blocked from signing in. Ask your administrator to allow it again.")


class SignInError(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


def _known_user(username):
    return (
        User.objects.filter(username=User.objects.normalize_username(username))
        .select_related("tenant")
        .first()
    )


def audit_failure(request, username, action, *, began=()):
    """Audit a failed attempt, and each limit it began to enforce (once per episode)."""
    known = _known_user(username)
    tenant = known.tenant if known is not None else None
    target = {
        "target": known,
        "target_type": "" if known else "accounts.user",
        "target_label": username[:254],
    }
    audit_record(action=action, tenant=tenant, request=request, **target)
    for kind in began:
        # A spray crosses organizations: its lock belongs to no single one.
        audit_record(
            action="signin.lockout",
            tenant=None if kind == lockout.ADDRESS else tenant,
            request=request,
            new={"kind": kind},
            **target,
        )


def _fail(request, attempt, username, action, *, message=FAILED):
    """Keep the attempt's count, audit it, and raise the error to show."""
    began = attempt.failed()
    audit_failure(request, username, action, began=began)
    # Not only when this failure began the lock: failures that raced past the limit
    # (parallel requests) must be told too, and the second step must end for them.
    raise SignInError(LOCKED if attempt.is_locked() else message)


def _only_blocked(request):
    """Return whether the backend refused a right password only because sign-in is blocked."""
    user = getattr(request, REFUSED_ATTR, None)
    if user is None or not user.is_sign_in_blocked:
        return False
    user.is_sign_in_blocked = False  # on this copy only: would it sign in otherwise?
    return user.can_sign_in


def signin_password(request, *, username, password):
    """Check the password step and return the user, or raise SignInError or Throttled.

    The attempt is counted before the password is checked, and refused with
    Throttled (nothing checked) over a limit. Every failure (unknown name, wrong
    password, deleted account, suspended organization) gives the same message, so
    nobody learns which accounts exist; only whoever types the right password of a
    blocked account is told that it is blocked.
    """
    attempt = lockout.SignInAttempt(request, username).reserve()
    user = authenticate(request, username=username, password=password)
    if user is None:
        message = BLOCKED if _only_blocked(request) else FAILED
        _fail(request, attempt, username, "signin.failure", message=message)
    attempt.passed()
    return user


def needs_second_step(user):
    return user_has_device(user, confirmed=True)


def signin_begin_second_step(request, user):
    """Remember who passed the password step, for the second step only."""
    request.session.cycle_key()
    request.session[PENDING] = {
        "user": user.pk,
        "backend": user.backend,
        "at": int(time.time()),
    }


def pending_user(request):
    """Return the user waiting for the second step, or None when expired or locked."""
    pending = request.session.get(PENDING)
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        return None
    user = User.objects.select_related("tenant").filter(pk=pending["user"]).first()
    if user is None or not user.can_sign_in:
        return None
    user.backend = pending["backend"]
    return user


def signin_second_step_failed(request, attempt, user):
    """Keep the reserved attempt of a wrong second step, audit it; raise SignInError."""
    _fail(request, attempt, user.username, "signin.mfa_failure")


def record_failure(request, user, action):
    """Count and audit a failure that was checked without a reservation; raise SignInError.

    For passkeys: a signature cannot be guessed, so it needs no reservation, but a
    failed one still counts towards the limits.
    """
    attempt = lockout.SignInAttempt(request, user.username)
    try:
        attempt.reserve()
    except lockout.Throttled:
        audit_failure(request, user.username, action)
        raise SignInError(LOCKED) from None
    _fail(request, attempt, user.username, action)


def signin_passkey_failed(request, user=None):
    """Count and audit a passkey that did not sign ``user`` in; raise SignInError.

    Without a user (a passkey nobody here registered) there is no account to
    count against: the attempt is audited only.
    """
    if user is not None:
        record_failure(request, user, "signin.passkey_failure")
    audit_record(
        action="signin.passkey_failure",
        request=request,
        target_type="accounts.user",
        target_label="(unknown passkey)",
    )
    raise SignInError(FAILED)


def signin_ready(request, user):
    """Raise SignInError unless ``user`` may sign in now (not blocked, not locked out)."""
    if not user.can_sign_in:
        raise SignInError(FAILED)
    try:
        lockout.SignInAttempt(request, user.username).check()
    except lockout.Throttled:
        raise SignInError(LOCKED) from None
    user.backend = BACKEND


def phishing_resistant_required(user):
    """Return whether ``user``'s organization requires them to use a phishing-resistant method."""
    tenant = user.tenant if user.tenant_id else None
    return bool(tenant and tenant.require_phishing_resistant_for_admins and user.is_admin)


def is_phishing_resistant(device):
    """Return whether ``device`` (any django-otp device, or None) resists phishing."""
    return bool(getattr(device, "phishing_resistant", False))


class NextForm(forms.Form):
    """Where to go once signed in, as a sign-in page's form or address carries it.

    Here rather than in ``accounts.forms``, which imports this module.
    """

    next = forms.CharField(required=False, strip=False)

    def next_url(self):
        return self.cleaned_data["next"] if self.is_valid() else ""


def safe_next(request):
    """Return the request's ``next`` (form or query) when it stays on this site, else ""."""
    next_url = NextForm(request.POST).next_url() or NextForm(request.GET).next_url()
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return ""


def with_next(url_name, next_url):
    """Return the URL named ``url_name``, passing ``next_url`` on when there is one."""
    url = reverse(url_name)
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def landing_url(request, user):
    """Return where ``user`` goes after signing in: a safe ``next``, else their start page."""
    if next_url := safe_next(request):
        return next_url
    if user.tenant_id is None and user.is_staff:
        return reverse("admin:index")
    return reverse("accounts:home")


def signin_complete(request, user):
    """Log ``user`` in (with ``user.otp_device`` if the second step was passed)."""
    request.session.pop(PENDING, None)
    login(request, user)  # a new session key; django-otp records the device
    start_session_clock(request)
    request.session[AUTHENTICATED_AT] = int(time.time())
    lockout.clear(request, user.username)
    audit_record(
        action="signin.success",
        actor=user,
        request=request,
        target=user,
        new={"second_factor": bool(getattr(user, "otp_device", None))},
    )


def signout(request):
    user = request.user
    if user.is_authenticated:
        audit_record(action="signout", actor=user, request=request, target=user)
    logout(request)
