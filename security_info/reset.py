"""Self-service password reset: the user proves who they are at one or two gates.

The flow lives in the session (server-side), so its codes are bound to this flow
in this browser. Admins pass two gates, each a different verified method;
everyone else one. What a visitor sees before the first gate is passed is the
same for an account that can be reset, one that cannot, and one that does not
exist: nobody learns which accounts exist or what methods they have.
"""

import hmac
import logging
import secrets
import time

from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.db import transaction
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import lockout
from accounts.audit import audit_record
from accounts.models import User
from accounts.roles import GLOBAL_ADMIN
from security_info import delivery
from security_info.models import AltEmailDevice, PhoneDevice
from security_info.notices import notify_admins_of_self_reset, notify_security_change
from security_info.validators import mask_email, mask_phone

logger = logging.getLogger(__name__)

SESSION_KEY = "portal_password_reset"
FLOW_SECONDS = 30 * 60
CODE_SECONDS = 10 * 60
MAX_WRONG_CODES = 5
MAX_ATTEMPTS = 5
ATTEMPT_WINDOW_SECONDS = 24 * 60 * 60
# The order in which the first gate's method is chosen.
KINDS = ("email", "phone", "app")


def _attempts_key(user):
    return f"password-reset-attempts:{user.pk}"


def _methods(user):
    """Return {kind: device} of the user's verified methods usable as gates."""
    methods = {}
    email = AltEmailDevice.all_objects.filter(user=user, confirmed=True).first()
    if email:
        methods["email"] = email
    phone = PhoneDevice.objects.filter(user=user, confirmed=True).first()
    if phone:
        methods["phone"] = phone
    app = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if app:
        methods["app"] = app
    return methods


def _gates_needed(user):
    # Admins always prove two methods; the organization chooses for everyone else.
    return 2 if user.is_admin else user.tenant.reset_gates_for_users


def _count_attempt(user):
    """Count one reset attempt; return False when the account is blocked for the day."""
    key = _attempts_key(user)
    cache.add(key, 0, timeout=ATTEMPT_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=ATTEMPT_WINDOW_SECONDS)
        count = 1
    return count <= MAX_ATTEMPTS


def _code_hash(state, code):
    return salted_hmac("security_info.reset", f"{state['flow']}:{code}").hexdigest()


def _user(state):
    if not state or state.get("user") is None:
        return None
    user = User.objects.select_related("tenant").filter(pk=state["user"]).first()
    return user if user is not None and user.can_sign_in else None


def flow(request):
    """Return the session's reset flow, or None when there is none or it expired."""
    state = request.session.get(SESSION_KEY)
    if not state or time.time() - state["started"] > FLOW_SECONDS:
        return None
    return state


def _save(request, state):
    request.session[SESSION_KEY] = state
    request.session.modified = True


def end(request):
    request.session.pop(SESSION_KEY, None)


def start(request, *, username):
    """Begin a reset for ``username``; send the first gate's code when it can be reset."""
    request.get_host()  # a Host outside ALLOWED_HOSTS stops here (400): nothing is sent
    name = User.objects.normalize_username(username)
    user = User.objects.select_related("tenant").filter(username=name).first()
    eligible = False
    if user is not None and user.tenant_id is not None and user.can_sign_in:
        methods = _methods(user)
        allowed = _count_attempt(user)
        if not allowed:
            audit_record(
                action="password_reset.blocked", tenant=user.tenant, request=request, target=user
            )
        eligible = allowed and len(methods) >= _gates_needed(user)
        audit_record(
            action="password_reset.start",
            tenant=user.tenant,
            request=request,
            target=user,
            new={"can_continue": eligible},
        )
    else:
        # As much work as for a real account, so the answer takes as long.
        make_password(secrets.token_hex(8))
    state = {
        "flow": secrets.token_urlsafe(16),
        "user": user.pk if eligible else None,
        "needed": _gates_needed(user) if eligible else 1,
        "passed": [],
        "kind": None,
        "code": None,
        "code_until": 0,
        "wrong": 0,
        "started": int(time.time()),
    }
    if eligible:
        methods = _methods(user)
        first = next(kind for kind in KINDS if kind in methods)
        _send(state, user, first, methods[first])
    _save(request, state)


def _send(state, user, kind, device):
    state["kind"] = kind
    state["code"] = None
    if kind == "app":
        return  # the code is in the user's app
    code = f"{secrets.randbelow(10**6):06d}"
    state["code"] = _code_hash(state, code)
    state["code_until"] = int(time.time()) + CODE_SECONDS
    try:
        delivery.deliver_code(device, code, purpose=delivery.Purpose.RECOVERY)
    except delivery.DeliveryError as error:
        # The page stays the generic one; the user can ask for another method.
        logger.warning("Reset code for user %s not sent: %s", user.pk, error.code)


class CheckResult:
    OK = "ok"
    DONE = "done"
    WRONG = "wrong"
    ENDED = "ended"


def check(request, *, code):
    """Check a gate's code; return a CheckResult value."""
    state = flow(request)
    if state is None:
        return CheckResult.ENDED
    code = "".join((code or "").split())
    user = _user(state)
    ok = False
    if user is not None and state["kind"] == "app":
        with transaction.atomic():
            ok = any(
                device.verify_token(code)
                for device in TOTPDevice.objects.select_for_update().filter(
                    user=user, confirmed=True
                )
            )
    elif user is not None and state["code"] and time.time() < state["code_until"]:
        ok = hmac.compare_digest(state["code"], _code_hash(state, code))
        # The session is no lock: of parallel requests with the right code, only the
        # one that claims it first in the shared cache passes.
        ok = ok and cache.add(f"password-reset-code-used:{state['code']}", 1, CODE_SECONDS)
    if not ok:
        state["wrong"] += 1
        if state["wrong"] >= MAX_WRONG_CODES:
            if user is not None:
                audit_record(
                    action="password_reset.too_many_codes",
                    tenant=user.tenant,
                    request=request,
                    target=user,
                )
            end(request)
            return CheckResult.ENDED
        _save(request, state)
        return CheckResult.WRONG
    if state["kind"] not in state["passed"]:  # each gate a different method
        state["passed"].append(state["kind"])
    state["kind"], state["code"], state["wrong"] = None, None, 0
    _save(request, state)
    audit_record(
        action="password_reset.gate_passed",
        tenant=user.tenant,
        request=request,
        target=user,
        new={"method": state["passed"][-1]},
    )
    return CheckResult.DONE if len(state["passed"]) >= state["needed"] else CheckResult.OK


def next_choices(request):
    """Return [(kind, masked hint)] for the next gate: methods not used yet."""
    state = flow(request)
    user = _user(state)
    if user is None or not state["passed"] or state["kind"]:
        return []
    hints = []
    for kind, device in _methods(user).items():
        if kind in state["passed"]:
            continue
        if kind == "email":
            hints.append(
                (kind, _("Email a code to %(email)s") % {"email": mask_email(device.email)})
            )
        elif kind == "phone":
            hints.append(
                (kind, _("Text a code to %(number)s") % {"number": mask_phone(device.number)})
            )
        else:
            hints.append((kind, _("Use a code from your authenticator app")))
    return hints


def choose(request, *, kind):
    """Start the next gate with ``kind``; return False when it isn't a choice."""
    state = flow(request)
    user = _user(state)
    if user is None or kind not in dict(next_choices(request)):
        return False
    _send(state, user, kind, _methods(user)[kind])
    _save(request, state)
    return True


def passed_user(request):
    """Return the user when every gate of this flow is passed, else None."""
    state = flow(request)
    if state is None or len(state["passed"]) < state["needed"]:
        return None
    return _user(state)


@transaction.atomic
def complete(request, *, user, new_password):
    """Set the new password after every gate; end sessions, clear lockouts, tell people."""
    user.set_new_password(new_password)  # a new hash ends every session of the user
    user.must_change_password = False
    user.save(update_fields=["password", "password_changed_at", "must_change_password"])
    lockout.clear_all(user.username)
    cache.delete(_attempts_key(user))
    audit_record(action="password.reset_self", tenant=user.tenant, request=request, target=user)
    end(request)
    admins = []
    if user.is_admin:
        admins = list(
            User.objects.for_tenant(user.tenant)
            .active()
            .filter(role_assignments__role=GLOBAL_ADMIN)
            .exclude(pk=user.pk)
            .values_list("username", flat=True)
        )
    change = _("Your password was reset with your security info")
    transaction.on_commit(lambda: notify_security_change(user, change=change))
    if admins:
        transaction.on_commit(lambda: notify_admins_of_self_reset(user, admins))
