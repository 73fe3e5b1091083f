"""Sign-in lockout: failure counters per sign-in name and client, in the cache.

The counters live in the shared cache (Redis in production), so every app node
sees the same count. A client is identified by ``client_ip``, which trusts
``X-Forwarded-For`` only as far as ``PORTAL_TRUSTED_PROXIES`` says.
"""

import hashlib
import ipaddress

from django.conf import settings
from django.core.cache import cache

from accounts.models import User


def client_ip(request):
    """Return the client's IP address as seen by the last trusted proxy.

    With ``PORTAL_TRUSTED_PROXIES = n`` the n-th address from the right of
    X-Forwarded-For is the client (each trusted proxy appends the address it saw);
    everything left of it was written by the client and is ignored. With 0 the
    header is not read at all.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    hops = settings.PORTAL_TRUSTED_PROXIES
    if hops > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= hops:
            remote = forwarded[-hops]
    try:
        address = ipaddress.ip_address(remote)
    except ValueError:
        return None
    if address.version == 6:
        # A zone id ("fe80::1%eth0") is no part of the address, and the database's
        # inet type rejects it; a dual-stack socket reports an IPv4 client as
        # ::ffff:a.b.c.d, which is the same client as a.b.c.d.
        address = address.ipv4_mapped or ipaddress.IPv6Address(int(address))
    return str(address)


def _key(username, ip):
    # Normalize exactly as sign-in does, so every spelling that signs in to one
    # account (case, full-width forms) counts against the same lock.
    name = User.objects.normalize_username(username)
    # The name's generation is part of the key: clear_all() bumps it to drop the
    # counters of every client at once, without knowing their addresses.
    generation = cache.get(_generation_key(name), 0)
    digest = hashlib.sha256(f"{name}\0{ip}\0{generation}".encode()).hexdigest()
    return f"signin-failures:{digest}"


def _generation_key(name):
    return f"signin-failures-gen:{hashlib.sha256(name.encode()).hexdigest()}"


def clear_all(username):
    """Lift every sign-in lockout of ``username``, from any client (after a reset)."""
    key = _generation_key(User.objects.normalize_username(username))
    cache.add(key, 0, timeout=None)
    cache.incr(key)


def is_locked_out(username, ip):
    return cache.get(_key(username, ip), 0) >= settings.PORTAL_LOCKOUT_ATTEMPTS


def record_failure(username, ip):
    """Count one failed attempt; return True when this failure locks the pair."""
    key = _key(username, ip)
    # add() only sets a missing key, so the window starts at the first failure.
    cache.add(key, 0, timeout=settings.PORTAL_LOCKOUT_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=settings.PORTAL_LOCKOUT_SECONDS)
        count = 1
    if count == settings.PORTAL_LOCKOUT_ATTEMPTS:
        # Restart the clock: the lockout lasts its full time from the last failure.
        cache.touch(key, timeout=settings.PORTAL_LOCKOUT_SECONDS)
        return True
    return False


def reset(username, ip):
    cache.delete(_key(username, ip))
