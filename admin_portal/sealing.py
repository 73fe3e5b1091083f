"""Seal secrets that must wait in the database or the shared cache: encrypted and dated.

A sealed value (Fernet: AES-128-CBC with HMAC-SHA256) can be read back only
with the same ``SECRET_KEY`` and the same ``purpose``, and only until its
``max_age``. Every app node and worker shares ``SECRET_KEY``, so any of them may
unseal what another sealed; the database and Redis only ever hold the ciphertext.
"""

import base64
import json

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class SealBroken(Exception):
    """The sealed value was altered, made with another key or purpose, or is too old."""


def _fernet(purpose):
    key = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"admin_portal.sealing",
        info=purpose.encode(),
    ).derive(settings.SECRET_KEY.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def seal(value, *, purpose):
    """Return ``value`` (anything JSON can hold) encrypted for ``purpose``, as text."""
    return _fernet(purpose).encrypt(json.dumps(value).encode()).decode()


def unseal(token, *, purpose, max_age):
    """Return the value sealed for ``purpose`` at most ``max_age`` seconds ago, or raise."""
    try:
        return json.loads(_fernet(purpose).decrypt(token.encode(), ttl=max_age))
    except (InvalidToken, ValueError) as error:
        raise SealBroken(str(error) or "invalid or expired") from None
