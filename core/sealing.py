"""Seal secrets that must wait in the database or the shared cache: encrypted and dated.

A sealed value (Fernet: AES-128-CBC with HMAC-SHA256) can be read back only
with the same key and the same ``purpose``, and only until its ``max_age``.
Every app node and worker shares ``SECRET_KEY``, so any of them may unseal what
another sealed; the database and Redis only ever hold the ciphertext.

Keys rotate as Django's signing does: new values are sealed with a key derived
from ``SECRET_KEY``, and values sealed under a key listed in
``SECRET_KEY_FALLBACKS`` stay readable (``MultiFernet``) until that fallback is
removed. A value sealed under no configured key raises ``SealBroken``; callers
that go through many sealed rows skip such a row and go on with the others.
"""

import base64
import functools
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class SealBroken(Exception):
    """The sealed value was altered, made with another key or purpose, or is too old."""


@functools.lru_cache(maxsize=64)
def _derived(secret, purpose):
    key = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        # The package's former name: values sealed before the move stay readable.
        salt=b"admin_portal.sealing",
        info=purpose.encode(),
    ).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _fernet(purpose):
    """Return the keys for ``purpose``: the current one first (it seals), then the fallbacks."""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_derived(secret, purpose) for secret in secrets])


def seal(value, *, purpose):
    """Return ``value`` (anything JSON can hold) encrypted for ``purpose``, as text."""
    return _fernet(purpose).encrypt(json.dumps(value).encode()).decode()


def unseal(token, *, purpose, max_age):
    """Return the value sealed for ``purpose`` at most ``max_age`` seconds ago, or raise.

    The current key and every fallback key are tried.
    """
    try:
        return json.loads(_fernet(purpose).decrypt(token.encode(), ttl=max_age))
    except (InvalidToken, ValueError) as error:
        raise SealBroken(str(error) or "invalid or expired") from None
