"""The WebAuthn ceremonies of passkeys and security keys, on the ``webauthn`` library.

Each ceremony has two halves. ``*_options`` makes a fresh challenge, keeps it in
the session (for ``TIMEOUT_SECONDS``) and returns the options the browser's
``navigator.credentials`` call needs, as JSON. ``*_verify`` takes the browser's
answer, takes the challenge out of the session (so an answer works once), and
has the library check it: the challenge, the origin and relying-party id (both
from ``PORTAL_BASE_URL``), the signature, user presence, user verification when
asked for, and that the signature counter went up. A problem raises PasskeyError
with words for the user.
"""

import hashlib
import json
import secrets
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_authentication_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from security_info.models import PasskeyDevice

TIMEOUT_SECONDS = 5 * 60
REGISTRATION = "passkey_registration"
AUTHENTICATION = "passkey_authentication"

# What an assertion is for: each page asks for its own, and accepts only its own.
SIGN_IN = "signin"  # passwordless: the passkey is both factors
SECOND_STEP = "verify"  # after the password
REAUTH = "reauth"  # confirm it's you before changing security info
STEP_UP = "stepup"  # the organization requires a phishing-resistant method
PURPOSES = (SIGN_IN, SECOND_STEP, REAUTH, STEP_UP)

EXPIRED = _("That took too long, or the page was open twice. Try again.")
NOT_CHECKED = _("That passkey couldn't be checked. Try again, or use another method.")
NOT_REGISTERED = _(
    "That passkey isn't registered for this account here. Use another passkey or method."
)

_TRANSPORTS = {transport.value for transport in AuthenticatorTransport}


class PasskeyError(Exception):
    """The ceremony failed; ``message`` says so in words for the user."""

    def __init__(self, message, code, user=None):
        super().__init__(str(message))
        self.message = message
        self.code = code
        self.user = user  # whose passkey it was, when that is known


def relying_party():
    """Return the relying-party id (the host name) and the origin of PORTAL_BASE_URL."""
    parts = urlsplit(settings.PORTAL_BASE_URL)
    return parts.hostname, f"{parts.scheme}://{parts.netloc}"


def credential_key(credential_id):
    """Return the index key of a credential id: its SHA-256, in hex."""
    return hashlib.sha256(credential_id).hexdigest()


def _descriptors(devices):
    return [
        PublicKeyCredentialDescriptor(
            id=bytes(device.credential_id),
            transports=[AuthenticatorTransport(t) for t in device.transports if t in _TRANSPORTS],
        )
        for device in devices
    ]


def _take(request, key):
    """Take the waiting ceremony ``key`` out of the session; None when there is none or it's old."""
    state = request.session.pop(key, None)
    if not state or time.time() - state["at"] > TIMEOUT_SECONDS:
        return None
    return state


def _load(credential_json):
    try:
        data = json.loads(credential_json)
    except (TypeError, ValueError):
        raise PasskeyError(NOT_CHECKED, "malformed") from None
    if not isinstance(data, dict):
        raise PasskeyError(NOT_CHECKED, "malformed")
    return data


# --- registration -------------------------------------------------------------------


def registration_options(request, user):
    """Start registering a passkey for ``user``; return the options as JSON."""
    rp_id, _origin = relying_party()
    existing = list(PasskeyDevice.objects.filter(user=user))
    handle = bytes(existing[0].user_handle) if existing else secrets.token_bytes(32)
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=settings.PORTAL_PRODUCT_NAME,
        user_id=handle,
        user_name=user.username,
        user_display_name=user.display_name or user.username,
        timeout=TIMEOUT_SECONDS * 1000,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        # The same authenticator twice is refused by the browser itself.
        exclude_credentials=_descriptors(existing),
    )
    request.session[REGISTRATION] = {
        "user": user.pk,
        "challenge": bytes_to_base64url(options.challenge),
        "handle": bytes_to_base64url(handle),
        "at": int(time.time()),
    }
    data = json.loads(options_to_json(options))
    # Ask the browser whether it kept a discoverable credential (for passkey-only sign-in).
    data["extensions"] = {"credProps": True}
    return json.dumps(data)


def registration_verify(request, user, credential_json):
    """Check the browser's new credential for ``user``; return the fields of a PasskeyDevice."""
    state = _take(request, REGISTRATION)
    if state is None or state["user"] != user.pk:
        raise PasskeyError(EXPIRED, "expired")
    data = _load(credential_json)
    rp_id, origin = relying_party()
    try:
        verified = verify_registration_response(
            credential=data,
            expected_challenge=base64url_to_bytes(state["challenge"]),
            expected_rp_id=rp_id,
            expected_origin=origin,
        )
    except (WebAuthnException, KeyError, TypeError, ValueError):
        raise PasskeyError(NOT_CHECKED, "invalid") from None
    extensions = data.get("clientExtensionResults") or {}
    properties = extensions.get("credProps") if isinstance(extensions, dict) else None
    transports = (data.get("response") or {}).get("transports") or []
    return {
        "credential_id": verified.credential_id,
        "credential_key": credential_key(verified.credential_id),
        "public_key": verified.credential_public_key,
        "sign_count": verified.sign_count,
        "user_handle": base64url_to_bytes(state["handle"]),
        "transports": [t for t in transports if t in _TRANSPORTS],
        "discoverable": bool(isinstance(properties, dict) and properties.get("rk")),
        "backed_up": verified.credential_backed_up,
    }


# --- authentication -----------------------------------------------------------------


def authentication_options(request, *, purpose, user=None):
    """Start an assertion for ``purpose``; return the options as JSON.

    With a ``user``, only their passkeys are allowed; without one (passkey-only
    sign-in) the authenticator offers its discoverable credentials for this
    site. For sign-in and for confirming it's you the authenticator must also
    verify the person (PIN or biometrics): the passkey is then both factors.
    Raise PasskeyError when ``user`` has no passkey.
    """
    if purpose not in PURPOSES:
        raise ValueError(f"Unknown passkey purpose {purpose!r}.")
    rp_id, _origin = relying_party()
    devices = [] if user is None else list(PasskeyDevice.objects.filter(user=user, confirmed=True))
    if user is not None and not devices:
        raise PasskeyError(NOT_REGISTERED, "none", user=user)
    # Alone (sign-in, confirming it's you) a passkey must also verify the person.
    verify_person = purpose in (SIGN_IN, REAUTH)
    options = generate_authentication_options(
        rp_id=rp_id,
        timeout=TIMEOUT_SECONDS * 1000,
        allow_credentials=_descriptors(devices),
        user_verification=(
            UserVerificationRequirement.REQUIRED
            if verify_person
            else UserVerificationRequirement.PREFERRED
        ),
    )
    request.session[AUTHENTICATION] = {
        "purpose": purpose,
        "user": None if user is None else user.pk,
        "verify_person": verify_person,
        "challenge": bytes_to_base64url(options.challenge),
        "at": int(time.time()),
    }
    return options_to_json(options)


def authentication_verify(request, credential_json, *, purpose, user=None):
    """Check the browser's assertion for ``purpose``; return the passkey it proves.

    The passkey's counter and last use are updated under a row lock, so two
    requests carrying the same assertion cannot both pass the counter check.
    """
    state = _take(request, AUTHENTICATION)
    expected_user = None if user is None else user.pk
    if state is None or state["purpose"] != purpose or state["user"] != expected_user:
        raise PasskeyError(EXPIRED, "expired")
    data = _load(credential_json)
    try:
        credential = parse_authentication_credential_json(data)
    except (WebAuthnException, KeyError, TypeError, ValueError):
        raise PasskeyError(NOT_CHECKED, "malformed") from None
    rp_id, origin = relying_party()
    with transaction.atomic():
        device = (
            PasskeyDevice.objects.select_for_update(of=("self",))
            .select_related("user__tenant")
            .filter(credential_key=credential_key(credential.raw_id), confirmed=True)
            .first()
        )
        if device is None or (user is not None and device.user_id != user.pk):
            raise PasskeyError(NOT_REGISTERED, "unknown")
        handle = credential.response.user_handle
        if handle is not None and handle != bytes(device.user_handle):
            raise PasskeyError(NOT_REGISTERED, "unknown")
        try:
            verified = verify_authentication_response(
                credential=credential,
                expected_challenge=base64url_to_bytes(state["challenge"]),
                expected_rp_id=rp_id,
                expected_origin=origin,
                credential_public_key=bytes(device.public_key),
                credential_current_sign_count=device.sign_count,
                require_user_verification=state["verify_person"],
            )
        except (WebAuthnException, KeyError, TypeError, ValueError):
            raise PasskeyError(NOT_CHECKED, "invalid", user=device.user) from None
        device.sign_count = verified.new_sign_count
        device.backed_up = verified.credential_backed_up
        device.set_last_used_timestamp(commit=False)
        device.save(update_fields=["sign_count", "backed_up", "last_used_at"])
    return device
