"""Sign-in: password step, optional second step, lockout and audit in one place."""

import time

from django.contrib.auth import authenticate, login, logout
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django_otp import user_has_device

from accounts import lockout
from accounts.audit import audit_record
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


def _fail(request, username, action):
    """Count a failure, audit it, and raise the generic error."""
    ip = lockout.client_ip(request)
    locked = lockout.record_failure(username, ip)
    known = _known_user(username)
    tenant = known.tenant if known is not None else None
    audit_record(
        action=action,
        tenant=tenant,
        request=request,
        target=known,
        target_type="" if known else "accounts.user",
        target_label=username[:254],
    )
    if locked:
        audit_record(
            action="signin.lockout",
            tenant=tenant,
            request=request,
            target=known,
            target_type="" if known else "accounts.user",
            target_label=username[:254],
        )
    # Not only ``locked``: failures that race past the limit (parallel requests)
    # must be told the pair is locked too, and the second step must end for them.
    raise SignInError(LOCKED if lockout.is_locked_out(username, ip) else FAILED)


def signin_password(request, *, username, password):
    """Check the password step and return the user, or raise SignInError.

    Every failure (unknown name, wrong password, blocked or deleted account,
    suspended organization) gives the same message, so nobody learns which
    accounts exist.
    """
    ip = lockout.client_ip(request)
    if lockout.is_locked_out(username, ip):
        raise SignInError(LOCKED)
    user = authenticate(request, username=username, password=password)
    if user is None:
        _fail(request, username, "signin.failure")
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
    if lockout.is_locked_out(user.username, lockout.client_ip(request)):
        return None
    user.backend = pending["backend"]
    return user


def signin_second_step_failed(request, user):
    _fail(request, user.username, "signin.mfa_failure")


def signin_passkey_failed(request, user=None):
    """Count and audit a passkey that did not sign ``user`` in; raise SignInError.

    Without a user (a passkey nobody here registered) there is no account to
    count against: the attempt is audited only.
    """
    if user is not None:
        _fail(request, user.username, "signin.passkey_failure")
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
    if lockout.is_locked_out(user.username, lockout.client_ip(request)):
        raise SignInError(LOCKED)
    user.backend = BACKEND


def phishing_resistant_required(user):
    """Return whether ``user``'s organization requires them to use a phishing-resistant method."""
    tenant = user.tenant if user.tenant_id else None
    return bool(tenant and tenant.require_phishing_resistant_for_admins and user.is_admin)


def is_phishing_resistant(device):
    """Return whether ``device`` (any django-otp device, or None) resists phishing."""
    return bool(getattr(device, "phishing_resistant", False))


def safe_next(request):
    """Return the request's ``next`` (form or query) when it stays on this site, else ""."""
    next_url = request.POST.get("next") or request.GET.get("next")
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return ""


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
    lockout.reset(user.username, lockout.client_ip(request))
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
