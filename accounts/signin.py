"""Sign-in: password step, optional second step, lockout and audit in one place."""

import time
from urllib.parse import urlencode

from django import forms
from django.contrib.auth import authenticate, login, logout
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django_otp import user_has_device
from django_otp.models import Device

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


class Refusal:
    """Why a sign-in attempt was refused, as ``signin_attempt`` tells it.

    Every refusal of the flow below has one; a sign-in that succeeded has "".
    """

    WRONG_PASSWORD = "wrong_password"  # noqa: S105 - or a name that no account has
    LOCKED_OUT = "locked_out"  # refused by a limit of accounts.lockout, nothing checked
    BLOCKED = "blocked"  # the right password of an account blocked from signing in
    ACCOUNT_DISABLED = "account_disabled"  # the right password; deleted, inactive or suspended
    SECOND_STEP_FAILED = "second_step_failed"  # a wrong code, or a passkey that did not verify
    TEMPORARY_PASS_EXPIRED = "temporary_pass_expired"  # noqa: S105 - used or expired
    PASSKEY_FAILED = "passkey_failed"  # signing in with a passkey alone did not verify
    # An organization's identity provider signed in somebody with no account here (or a
    # name outside the provider's domains), or answered with something that did not verify.
    NO_ACCOUNT_HERE = "no_account_here"
    PROVIDER_ANSWER = "provider_answer"


# Sent once for every sign-in attempt that ends, signed in or refused, with
# ``request``, ``user`` (the account, or None for a name or passkey nobody has),
# ``username`` (as typed), ``reason`` (a ``Refusal``, "" when signed in), ``device``
# (the django-otp device of the second step or passkey, or None) and ``passkey``
# (whether a passkey was tried, also when it did not verify and so has no device).
# The areas that keep a record of sign-ins listen: accounts imports no area.
signin_attempt = Signal()

# Sent when a name is typed on the sign-in page, before any password is looked at,
# with ``request``, ``username`` (as typed) and ``next_url``. A receiver that signs
# the name in elsewhere (an organization's own identity provider, by the name's
# domain) answers with the response that sends the person there; the first answer
# wins. Nothing is told about whether the name exists: only its domain decides.
realm_discovery = Signal()

# Sent before a person signs out, with ``request`` (still signed in). A receiver may
# answer with the address to go to afterwards (an identity provider's sign-out).
signing_out = Signal()

# Set in the session when an identity provider's own second factor, which the
# organization trusts, counted as this sign-in's second step.
FEDERATED_MFA = "portal_federated_mfa"
# Set in the session (to the provider's name) when an identity provider signed the
# person in: their password lives there, so this portal never asks to change it.
FEDERATED = "portal_federated"


def _tell(request, *, user, username, reason="", device=None, passkey=False):
    signin_attempt.send(
        sender=User,
        request=request,
        user=user,
        username=(username or "")[:254],
        reason=reason,
        device=device,
        passkey=passkey or is_phishing_resistant(device),
    )


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
    """Audit a failed attempt, and each limit it began to enforce (once per episode).

    Return the account that has ``username``, or None.
    """
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
    return known


def _fail(request, attempt, username, action, *, message=FAILED, **attempt_told):
    """Keep the attempt's count, audit it, tell it, and raise the error to show."""
    began = attempt.failed()
    known = audit_failure(request, username, action, began=began)
    if action.startswith("signin."):  # not "confirm it's you": no sign-in
        _tell(request, user=known, username=username, **attempt_told)
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
    try:
        attempt = lockout.SignInAttempt(request, username).reserve()
    except lockout.Throttled:
        _tell(request, user=_known_user(username), username=username, reason=Refusal.LOCKED_OUT)
        raise
    user = authenticate(request, username=username, password=password)
    if user is None:
        if _only_blocked(request):
            message, reason = BLOCKED, Refusal.BLOCKED
        elif getattr(request, REFUSED_ATTR, None) is not None:
            message, reason = FAILED, Refusal.ACCOUNT_DISABLED
        else:
            message, reason = FAILED, Refusal.WRONG_PASSWORD
        _fail(request, attempt, username, "signin.failure", message=message, reason=reason)
    attempt.passed()
    return user


def needs_second_step(user):
    return user_has_device(user, confirmed=True)


def signin_begin_second_step(request, user, *, federation=None):
    """Remember who passed the first step, for the second step only.

    ``federation`` is how an identity provider signed them in, when one did.
    """
    request.session.cycle_key()
    request.session[PENDING] = {
        "user": user.pk,
        "backend": user.backend,
        "at": int(time.time()),
        "federation": federation,
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


def chosen_device(user, persistent_id):
    """Return ``user``'s device whose persistent id the second step's form posted, or None."""
    if not isinstance(persistent_id, str) or not persistent_id:
        return None
    try:
        device = Device.from_persistent_id(persistent_id)
    except (AttributeError, OverflowError):
        # django-otp reads any "app.model/id" it is given: a model that is no device,
        # or an id no database integer holds, is no device of this user either.
        return None
    return device if device is not None and device.user_id == user.pk else None


def _expired(device):
    # A single-use device that works until a time (a temporary access pass), used
    # up or outlived: the person needs a new one, not another try. (Code devices
    # have a ``valid_until`` too, for their current code, but are not single-use.)
    if not hasattr(device, "used_at"):
        return False
    until = getattr(device, "valid_until", None)
    return bool(device.used_at or (until is not None and until <= timezone.now()))


def signin_second_step_failed(request, attempt, user, device=None):
    """Keep the reserved attempt of a wrong second step, audit it; raise SignInError.

    ``device`` is the method the code was typed for, when the form named one.
    """
    reason = Refusal.TEMPORARY_PASS_EXPIRED if _expired(device) else Refusal.SECOND_STEP_FAILED
    _fail(request, attempt, user.username, "signin.mfa_failure", reason=reason, device=device)


def signin_second_step_throttled(request, user):
    """Tell that a limit refused ``user``'s second step before anything was checked."""
    _tell(request, user=user, username=user.username, reason=Refusal.LOCKED_OUT)


def record_failure(request, user, action):
    """Count and audit a failure that was checked without a reservation; raise SignInError.

    For passkeys: a signature cannot be guessed, so it needs no reservation, but a
    failed one still counts towards the limits.
    """
    reason = (
        Refusal.PASSKEY_FAILED if action == "signin.passkey_failure" else Refusal.SECOND_STEP_FAILED
    )
    attempt = lockout.SignInAttempt(request, user.username)
    try:
        attempt.reserve()
    except lockout.Throttled:
        audit_failure(request, user.username, action)
        if action.startswith("signin."):
            _tell(
                request, user=user, username=user.username, reason=Refusal.LOCKED_OUT, passkey=True
            )
        raise SignInError(LOCKED) from None
    _fail(request, attempt, user.username, action, reason=reason, passkey=True)


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
    # A passkey nobody here registered: no account, so no organization's sign-in.
    _tell(request, user=None, username="", reason=Refusal.PASSKEY_FAILED, passkey=True)
    raise SignInError(FAILED)


def signin_ready(request, user, device=None):
    """Raise SignInError unless ``user`` may sign in now (not blocked, not locked out).

    ``device`` is the passkey that proved who they are.
    """
    told = {"user": user, "username": user.username, "device": device, "passkey": True}
    if not user.can_sign_in:
        blocked = user.is_sign_in_blocked
        _tell(request, reason=Refusal.BLOCKED if blocked else Refusal.ACCOUNT_DISABLED, **told)
        raise SignInError(FAILED)
    try:
        lockout.SignInAttempt(request, user.username).check()
    except lockout.Throttled:
        _tell(request, reason=Refusal.LOCKED_OUT, **told)
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


def signin_complete(request, user, *, federation=None):
    """Log ``user`` in (with ``user.otp_device`` if the second step was passed).

    ``federation`` is how an identity provider signed them in, for the audit
    event (``provider``, ``provider_mfa``); a trusted provider's second factor
    counts as this session's second step.
    """
    pending = request.session.pop(PENDING, None) or {}
    if federation is None:
        federation = pending.get("federation")
    login(request, user)  # a new session key; django-otp records the device
    start_session_clock(request)
    request.session[AUTHENTICATED_AT] = int(time.time())
    provider_mfa = bool(federation and federation.get("provider_mfa"))
    if provider_mfa:
        request.session[FEDERATED_MFA] = True
    if federation:
        request.session[FEDERATED] = federation.get("provider", "")
    lockout.clear(request, user.username)
    device = getattr(user, "otp_device", None)
    audit_record(
        action="signin.success",
        actor=user,
        request=request,
        target=user,
        new={"second_factor": bool(device) or provider_mfa, **(federation or {})},
    )
    _tell(request, user=user, username=user.username, device=device)


def federated_refused(request, *, user, username, reason):
    """Tell that an identity provider's sign-in of ``username`` was refused here."""
    _tell(request, user=user, username=username, reason=reason)


def discovered_realm(request, username, next_url=""):
    """Return the response that sends ``username`` to its identity provider, or None."""
    for _receiver, response in realm_discovery.send(
        sender=User, request=request, username=username, next_url=next_url
    ):
        if response is not None:
            return response
    return None


def signout(request):
    """Sign the request's user out; return where to go next (a provider's sign-out), or ""."""
    user = request.user
    after = ""
    if user.is_authenticated:
        for _receiver, url in signing_out.send(sender=User, request=request):
            after = after or url or ""
        audit_record(action="signout", actor=user, request=request, target=user)
    logout(request)
    return after
