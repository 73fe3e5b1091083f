"""Self-service password reset: the user proves who they are at one or two gates.

1. The visitor types a sign-in name: nothing is looked up.
2. They choose how to prove it's them and, for email and text message, type the
   full alternate email address or mobile number they registered (as Microsoft's
   reset asks for the full number). The code goes there only when it is that
   account's verified method; the page names where it went, masked, from what
   they typed. The lookup, the checks and the sending run in a background job,
   so the answer takes as long whatever the name.
3. The code (or the authenticator app's). Admins pass two gates, each a
   different method; everyone else one, unless their organization asks two.
   Once the first gate is passed the visitor has shown they own the account:
   only then do they see masked hints of its other methods, or learn that it
   has too few to continue and who can help.

What a visitor sees before the first gate is passed is the same for an account
that can be reset, one that cannot, and one that does not exist. The flow's
state lives in the shared cache under a random id that only this browser's
session holds, so every node sees it, and its wrong codes are counted there
before each check: a burst of parallel guesses gets no more than the limit.
"""

import hmac
import logging
import secrets
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import lockout
from accounts.audit import audit_record
from accounts.models import User
from accounts.roles import GLOBAL_ADMIN
from accounts.throttling import Limit, count, digest, uncount
from core import jobs
from security_info import delivery, tasks
from security_info.models import AltEmailDevice, PhoneDevice
from security_info.notices import notify_admins_of_self_reset, notify_security_change
from security_info.validators import mask_email, mask_phone, parse_mobile_number

logger = logging.getLogger(__name__)

SESSION_KEY = "portal_password_reset"
FLOW_SECONDS = 30 * 60
CODE_SECONDS = 10 * 60
MAX_WRONG_CODES = 5
MAX_ATTEMPTS = 5
ATTEMPT_WINDOW_SECONDS = 24 * 60 * 60
ADDRESS_WINDOW_SECONDS = 60 * 60
EMAIL, PHONE, APP = "email", "phone", "app"
KINDS = (EMAIL, PHONE, APP)


class CheckResult:
    OK = "ok"
    DONE = "done"
    WRONG = "wrong"
    ENDED = "ended"
    REFUSED = "refused"  # over the limit: not checked


def _state_key(flow_id):
    return f"password-reset:flow:{flow_id}"


def _wrong_key(state):
    # One count per gate; never deleted (it expires with the flow), so requests
    # that read the flow before it ended still count on past the limit.
    return f"password-reset:wrong:{state['flow']}:{len(state['passed'])}"


def _attempts_key(user):
    return f"password-reset-attempts:{user.pk}"


def _methods(user):
    """Return {kind: device} of the user's verified methods usable as gates."""
    methods = {}
    email = AltEmailDevice.all_objects.filter(user=user, confirmed=True).first()
    if email:
        methods[EMAIL] = email
    phone = PhoneDevice.objects.filter(user=user, confirmed=True).first()
    if phone:
        methods[PHONE] = phone
    app = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if app:
        methods[APP] = app
    return methods


def gates_needed(user):
    # Admins always prove two methods; the organization chooses for everyone else.
    return 2 if user.is_admin else user.tenant.reset_gates_for_users


def _count_attempt(user):
    """Count one reset attempt; return False when the account is blocked for the day."""
    return count(_attempts_key(user), ATTEMPT_WINDOW_SECONDS) <= MAX_ATTEMPTS


def _code_hash(state, code):
    return salted_hmac("security_info.reset", f"{state['flow']}:{code}").hexdigest()


def _user(state):
    if not state or state.get("user") is None:
        return None
    user = User.objects.select_related("tenant").filter(pk=state["user"]).first()
    return user if user is not None and user.can_sign_in else None


def flow(request):
    """Return the session's reset flow, or None when there is none or it expired."""
    flow_id = request.session.get(SESSION_KEY)
    state = cache.get(_state_key(flow_id)) if isinstance(flow_id, str) else None
    if not state or time.time() - state["started"] > FLOW_SECONDS:
        return None
    return state


def _save(state):
    left = state["started"] + FLOW_SECONDS - time.time()
    cache.set(_state_key(state["flow"]), state, timeout=max(1, int(left)))


def end(request):
    flow_id = request.session.pop(SESSION_KEY, None)
    if isinstance(flow_id, str):
        cache.delete(_state_key(flow_id))


def start(request, *, username):
    """Begin a reset for ``username`` in this browser; nothing is looked up yet."""
    request.get_host()  # a Host outside ALLOWED_HOSTS stops here (400): nothing is sent
    end(request)
    state = {
        "flow": secrets.token_urlsafe(16),
        "name": User.objects.normalize_username(username),
        "user": None,
        "needed": 1,
        "methods": 0,
        "passed": [],
        "kind": None,
        "code": None,
        "code_until": 0,
        "destination": "",
        "sent_to": "",
        "started": int(time.time()),
    }
    _save(state)
    request.session[SESSION_KEY] = state["flow"]


def _address_limit(request):
    return Limit(
        f"password-reset:address:{digest(lockout.client_ip(request))}",
        limit=settings.PORTAL_RESET_ADDRESS_ATTEMPTS,
        seconds=ADDRESS_WINDOW_SECONDS,
        reason="reset_address",
    )


def choose_first(request, *, kind, destination=""):
    """Ask for the first gate's code by ``kind``, sent to ``destination`` if it is the account's.

    Raise Throttled over the address's limit (nothing is sent then). Return
    False when there is no flow. The lookup and the sending run in a background
    job (``send_first_code``), the same whatever the name.
    """
    state = flow(request)
    if state is None or state["passed"]:
        return False
    limit = _address_limit(request)
    limit.reserve()  # every choice may send a message: counted, never given back
    if limit.fail():  # the address is over its limit from now on: audited once
        audit_record(action="password_reset.throttled", request=request)
    if kind == EMAIL:
        sent_to = mask_email(destination.strip())
    elif kind == PHONE:
        # Digits only, so the mask shows the last two whatever the spacing.
        sent_to = mask_phone("".join(c for c in destination if c.isdigit() or c == "+"))
    else:
        sent_to = ""
    state.update(
        kind=kind,
        destination=destination.strip(),
        sent_to=sent_to,
        code=None,
        user=None,
        # For the audit events the background job writes.
        ip=lockout.client_ip(request),
        agent=request.headers.get("user-agent", "")[:512],
    )
    _save(state)
    jobs.enqueue(tasks.send_password_reset_code, state["flow"])
    return True


def _matches(kind, device, destination, user):
    if kind == APP:
        return True
    if kind == EMAIL:
        return device.email.casefold() == destination.casefold()
    try:
        return device.number == parse_mobile_number(destination, region=user.tenant.country)
    except ValidationError:
        return False


def send_first_code(flow_id):
    """Look up the flow's account and send the first gate's code when the method is its own.

    Runs in a background job. An account that does not exist, cannot sign in,
    is over its attempts for the day, or whose method differs gets a flow that
    no code passes; nothing is sent.
    """
    state = cache.get(_state_key(flow_id))
    if not state or not state["kind"] or state["passed"]:
        return
    kind, destination = state["kind"], state["destination"]
    state["destination"] = ""  # what was typed is not kept
    user = User.objects.select_related("tenant").filter(username=state["name"]).first()
    device = None
    if user is not None and user.tenant_id is not None and user.can_sign_in:
        methods = _methods(user)
        allowed = _count_attempt(user)
        seen = {"ip_address": state.get("ip"), "user_agent": state.get("agent", "")}
        if not allowed:
            audit_record(action="password_reset.blocked", tenant=user.tenant, target=user, **seen)
        candidate = methods.get(kind)
        if allowed and candidate is not None and _matches(kind, candidate, destination, user):
            device = candidate
            state.update(user=user.pk, needed=gates_needed(user), methods=len(methods))
        audit_record(
            action="password_reset.start",
            tenant=user.tenant,
            target=user,
            new={"method": kind, "can_continue": device is not None},
            **seen,
        )
    if device is not None and kind != APP:
        code = f"{secrets.randbelow(10**6):06d}"
        state["code"] = _code_hash(state, code)
        state["code_until"] = int(time.time()) + CODE_SECONDS
        _save(state)  # before sending: the code may arrive before this job ends
        try:
            delivery.deliver_code(device, code, purpose=delivery.Purpose.RECOVERY)
        except delivery.DeliveryError as error:
            # The page stays the generic one; the user can choose another method.
            logger.warning("Reset code for user %s not sent: %s", user.pk, error.code)
    else:
        _save(state)


def _send_next(state, user, kind, device):
    """Send the code of a later gate (the visitor has passed one: no secrecy to keep)."""
    state["kind"] = kind
    state["code"] = None
    if kind == APP:
        return
    code = f"{secrets.randbelow(10**6):06d}"
    state["code"] = _code_hash(state, code)
    state["code_until"] = int(time.time()) + CODE_SECONDS
    state["sent_to"] = mask_email(device.email) if kind == EMAIL else mask_phone(device.number)
    try:
        delivery.deliver_code(device, code, purpose=delivery.Purpose.RECOVERY)
    except delivery.DeliveryError as error:
        logger.warning("Reset code for user %s not sent: %s", user.pk, error.code)


def check(request, *, code):
    """Check a gate's code; return a CheckResult value.

    The wrong-code count is taken before the check, in the shared cache: of a
    burst of guesses only the first ``MAX_WRONG_CODES`` are looked at.
    """
    state = flow(request)
    if state is None:
        return CheckResult.ENDED
    tried = count(_wrong_key(state), FLOW_SECONDS)
    if tried > MAX_WRONG_CODES:
        end(request)
        return CheckResult.REFUSED
    code = "".join((code or "").split())
    user = _user(state)
    ok = False
    if user is not None and state["kind"] == APP:
        with transaction.atomic():
            ok = any(
                device.verify_token(code)
                for device in TOTPDevice.objects.select_for_update().filter(
                    user=user, confirmed=True
                )
            )
    elif user is not None and state["code"] and time.time() < state["code_until"]:
        ok = hmac.compare_digest(state["code"], _code_hash(state, code))
        # Of parallel requests with the right code, only the one that claims it
        # first in the shared cache passes.
        ok = ok and cache.add(f"password-reset-code-used:{state['code']}", 1, CODE_SECONDS)
    if not ok:
        if tried >= MAX_WRONG_CODES:
            if user is not None:
                audit_record(
                    action="password_reset.too_many_codes",
                    tenant=user.tenant,
                    request=request,
                    target=user,
                )
            end(request)
            return CheckResult.ENDED
        return CheckResult.WRONG
    uncount(_wrong_key(state))
    if state["kind"] not in state["passed"]:  # each gate a different method
        state["passed"].append(state["kind"])
    state["kind"], state["code"], state["sent_to"] = None, None, ""
    _save(state)
    audit_record(
        action="password_reset.gate_passed",
        tenant=user.tenant,
        request=request,
        target=user,
        new={"method": state["passed"][-1]},
    )
    return CheckResult.DONE if len(state["passed"]) >= state["needed"] else CheckResult.OK


def too_few_methods(request):
    """Return True when a gate is passed but the account has too few methods to go on."""
    state = flow(request)
    return bool(state and state["passed"] and state["methods"] < state["needed"])


def who_can_help(request):
    """Return the names of the Global admins who can reset this account's password."""
    user = _user(flow(request))
    if user is None:
        return []
    return list(
        User.objects.for_tenant(user.tenant)
        .active()
        .filter(role_assignments__role=GLOBAL_ADMIN)
        .exclude(pk=user.pk)
        .order_by("display_name")
        .values_list("display_name", flat=True)[:5]
    )


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
        if kind == EMAIL:
            hints.append(
                (kind, _("Email a code to %(email)s") % {"email": mask_email(device.email)})
            )
        elif kind == PHONE:
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
    _send_next(state, user, kind, _methods(user)[kind])
    _save(state)
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
