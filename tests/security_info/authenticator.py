"""A software WebAuthn authenticator for tests: real keys, real signatures, real CBOR.

It answers the options the portal sends as a browser with a platform passkey
would: ``create(options_json, origin)`` returns the registration's JSON (what
``PublicKeyCredential.toJSON()`` gives), ``get(options_json, origin)`` an
assertion's. The browser tests do the same with Chromium's virtual authenticator.
"""

import base64
import hashlib
import json
import secrets
import struct

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftAuthenticator:
    """One passkey per relying party id; counts its signatures like a security key."""

    def __init__(self, *, user_verified=True, counter_start=0):
        self.keys = {}  # credential id -> (private key, rp id, user handle)
        self.counter = counter_start
        self.user_verified = user_verified

    def _flags(self, *extra):
        flags = UP | (UV if self.user_verified else 0)
        for flag in extra:
            flags |= flag
        return bytes([flags])

    def create(self, options_json, origin):
        options = json.loads(options_json)
        rp_id = options["rp"]["id"]
        credential_id = secrets.token_bytes(32)
        private_key = ec.generate_private_key(ec.SECP256R1())
        numbers = private_key.public_key().public_numbers()
        cose_key = cbor2.dumps(
            {
                1: 2,  # kty: EC2
                3: -7,  # alg: ES256
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )
        self.keys[credential_id] = (private_key, rp_id, unb64url(options["user"]["id"]))
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + self._flags(AT)
            + struct.pack(">I", self.counter)
            + bytes(16)  # AAGUID
            + struct.pack(">H", len(credential_id))
            + credential_id
            + cose_key
        )
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        return json.dumps(
            {
                "id": b64url(credential_id),
                "rawId": b64url(credential_id),
                "type": "public-key",
                "authenticatorAttachment": "platform",
                "response": {
                    "clientDataJSON": b64url(client_data),
                    "attestationObject": b64url(
                        cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
                    ),
                    "transports": ["internal"],
                },
                "clientExtensionResults": {"credProps": {"rk": True}},
            }
        )

    def get(self, options_json, origin, *, credential_id=None):
        """Sign the challenge with the allowed (or the only, or ``credential_id``'s) passkey."""
        options = json.loads(options_json)
        allowed = [unb64url(item["id"]) for item in options.get("allowCredentials", [])]
        if credential_id is None:
            candidates = [key for key in self.keys if not allowed or key in allowed]
            credential_id = candidates[0]
        private_key, rp_id, user_handle = self.keys[credential_id]
        self.counter += 1
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + self._flags()
            + struct.pack(">I", self.counter)
        )
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        signature = private_key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return json.dumps(
            {
                "id": b64url(credential_id),
                "rawId": b64url(credential_id),
                "type": "public-key",
                "response": {
                    "clientDataJSON": b64url(client_data),
                    "authenticatorData": b64url(auth_data),
                    "signature": b64url(signature),
                    "userHandle": b64url(user_handle),
                },
                "clientExtensionResults": {},
            }
        )

    @staticmethod
    def _client_data(kind, challenge, origin):
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}
        ).encode()
