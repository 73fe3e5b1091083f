"""Sign-in throttling: every password and code attempt is counted before it is checked.

Three limits, each in the shared cache (``accounts.throttling``), so every app
node sees the same counts and a burst of parallel attempts gets no more tries
than the limit:

- **name and client** (``PORTAL_LOCKOUT_ATTEMPTS`` failures lock the pair for
  ``PORTAL_LOCKOUT_SECONDS``): someone guessing one account's password;
- **client address** across names (``PORTAL_THROTTLE_ADDRESS_ATTEMPTS`` failures
  in ``PORTAL_THROTTLE_ADDRESS_SECONDS``): one address trying a password on many
  names (spraying);
- **account** across addresses: after ``PORTAL_THROTTLE_ACCOUNT_FREE_ATTEMPTS``
  consecutive failures each further attempt waits, twice as long each time from
  ``PORTAL_THROTTLE_ACCOUNT_DELAY_SECONDS`` up to
  ``PORTAL_THROTTLE_ACCOUNT_MAX_DELAY_SECONDS`` (as smart lockout does: no
  permanent lock that anyone could cause), except from addresses the account
  signed in from lately; at ``PORTAL_THROTTLE_ACCOUNT_MAX_FAILURES`` (at most
  100, NIST SP 800-63B) password sign-in stops until the password is reset.

Names are counted whether or not an account has them, so the limits tell nobody
which names exist. A client is identified by ``client_ip``, which trusts
``X-Forwarded-For`` only as far as ``PORTAL_TRUSTED_PROXIES`` says.
"""

import ipaddress
import time

from django.conf import settings
from django.core.cache import cache

from accounts.models import User
from accounts.throttling import Limit, Throttled, count, digest, uncount

# Why an attempt was refused (Throttled.reason), and the audit events' ``kind``.
PAIR = "name_and_address"
ADDRESS = "address"
ACCOUNT = "account"
ACCOUNT_LOCKED = "account_locked"

# Failures of an account are remembered this long after the last one.
ACCOUNT_MEMORY_SECONDS = 30 * 24 * 60 * 60

__all__ = ["SignInAttempt", "Throttled", "clear", "clear_all", "client_ip"]


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


def _normalize(username):
    # Exactly as sign-in does, so every spelling that signs in to one account
    # (case, full-width forms) counts against the same limits.
    return User.objects.normalize_username(username or "")


def _generation_key(name):
    return f"signin:generation:{digest(name)}"


def account_delay(attempt):
    """Return how long the ``attempt``-th consecutive attempt keeps the next one waiting."""
    over = attempt - settings.PORTAL_THROTTLE_ACCOUNT_FREE_ATTEMPTS
    if over <= 0:
        return 0
    # Doubling from the first delay, capped (and the exponent with it: no huge ints).
    delay = settings.PORTAL_THROTTLE_ACCOUNT_DELAY_SECONDS * 2 ** min(over - 1, 32)
    return min(delay, settings.PORTAL_THROTTLE_ACCOUNT_MAX_DELAY_SECONDS)


class SignInAttempt:
    """One password or code attempt for a sign-in name from one client.

    ``reserve()`` before checking anything (it raises Throttled, and then nothing
    may be checked); afterwards ``failed()`` keeps the count, ``passed()`` gives
    it back, ``succeeded()`` ends the sign-in and clears the name's failures.
    """

    def __init__(self, request, username):
        self.name = _normalize(username)
        self.ip = client_ip(request)
        # clear_all() bumps the generation to drop the name's counts from every
        # client at once, without knowing their addresses.
        generation = cache.get(_generation_key(self.name), 0)
        self.pair = Limit(
            f"signin:pair:{digest(self.name, self.ip, generation)}",
            limit=settings.PORTAL_LOCKOUT_ATTEMPTS,
            seconds=settings.PORTAL_LOCKOUT_SECONDS,
            reason=PAIR,
        )
        self.address = Limit(
            f"signin:address:{digest(self.ip)}",
            limit=settings.PORTAL_THROTTLE_ADDRESS_ATTEMPTS,
            seconds=settings.PORTAL_THROTTLE_ADDRESS_SECONDS,
            reason=ADDRESS,
        )
        account = digest(self.name, generation)
        self.account_key = f"signin:account:{account}"
        self.slot_key = f"signin:account-slot:{account}"
        self.delayed_key = f"signin:account-delayed:{account}"
        self.locked_key = f"signin:account-locked:{account}"
        self.familiar_key = f"signin:familiar:{digest(self.name, self.ip)}"
        self._reserved = []
        self._account_reserved = False
        self._slot = False

    def check(self):
        """Raise Throttled while this name is locked for this client; count nothing."""
        self.pair.check()

    def reserve(self):
        """Count this attempt on every limit before it is tried; raise Throttled if refused."""
        try:
            for limit in (self.pair, self.address):
                limit.reserve()
                self._reserved.append(limit)
            self._reserve_account()
        except Throttled:
            self.passed()
            raise
        return self

    def _reserve_account(self):
        failures = count(self.account_key, ACCOUNT_MEMORY_SECONDS)
        self._account_reserved = True
        if failures > settings.PORTAL_THROTTLE_ACCOUNT_MAX_FAILURES:
            raise Throttled(
                settings.PORTAL_THROTTLE_ACCOUNT_MAX_DELAY_SECONDS, reason=ACCOUNT_LOCKED
            )
        delay = account_delay(failures)
        if delay and not cache.get(self.familiar_key):
            # One attempt per delay: whoever claims the slot tries, the rest wait.
            until = time.time() + delay
            if not cache.add(self.slot_key, until, timeout=delay):
                raise Throttled((cache.get(self.slot_key) or until) - time.time(), reason=ACCOUNT)
            self._slot = True

    def passed(self):
        """Give the reserved counts back: the attempt went well, or never happened."""
        for limit in self._reserved:
            limit.give_back()
        if self._account_reserved:
            uncount(self.account_key)
        if self._slot:
            cache.delete(self.slot_key)
        self._reserved, self._account_reserved, self._slot = [], False, False

    def failed(self):
        """Keep the counts; return the limits this failure began to enforce (for the audit)."""
        began = [limit.reason for limit in self._reserved if limit.fail()]
        if self._account_reserved:
            failures = cache.get(self.account_key) or 0
            cache.touch(self.account_key, timeout=ACCOUNT_MEMORY_SECONDS)
            if failures > settings.PORTAL_THROTTLE_ACCOUNT_FREE_ATTEMPTS and cache.add(
                self.delayed_key, 1, timeout=ACCOUNT_MEMORY_SECONDS
            ):
                began.append(ACCOUNT)
            if failures >= settings.PORTAL_THROTTLE_ACCOUNT_MAX_FAILURES and cache.add(
                self.locked_key, 1, timeout=ACCOUNT_MEMORY_SECONDS
            ):
                began.append(ACCOUNT_LOCKED)
        self._reserved, self._account_reserved, self._slot = [], False, False
        return began

    def is_locked(self):
        """Return whether the next attempt of this name from this client would be refused."""
        return bool(
            self.pair.locked_until()
            or self.address.locked_until()
            or (cache.get(self.account_key) or 0) >= settings.PORTAL_THROTTLE_ACCOUNT_MAX_FAILURES
            or (cache.get(self.slot_key) and not cache.get(self.familiar_key))
        )

    def succeeded(self):
        """The person signed in: forget the name's failures, remember this address."""
        self.passed()
        self.pair.clear()
        cache.delete_many([self.account_key, self.slot_key, self.delayed_key, self.locked_key])
        cache.set(
            self.familiar_key, 1, timeout=settings.PORTAL_THROTTLE_FAMILIAR_DAYS * 24 * 60 * 60
        )


def clear(request, username):
    """Forget ``username``'s failures after it signed in from this client."""
    SignInAttempt(request, username).succeeded()


def clear_all(username):
    """Lift every sign-in limit of ``username``, from any client (after a reset)."""
    key = _generation_key(_normalize(username))
    cache.add(key, 0, timeout=None)
    cache.incr(key)
