"""Counters in the shared cache that hold under a burst of parallel requests.

Every counter here is counted *before* the thing it limits is tried: ``incr`` is
atomic in Redis (and under a lock in the local-memory cache), so of many requests
sent at once no more than the limit get through, whereas a check-then-count would
let all of them pass the check before any of them was counted. An attempt that
turns out fine gives its count back.

The counters live in the shared cache (Redis in production), so every app node
sees the same counts.
"""

import contextlib
import hashlib
import math
import time

from django.core.cache import cache


class Throttled(Exception):
    """An attempt refused before it was tried; retry after ``retry_after`` seconds."""

    def __init__(self, retry_after, *, reason=""):
        self.retry_after = max(1, math.ceil(retry_after))
        self.reason = reason
        super().__init__(f"throttled ({reason}) for {self.retry_after} s")


def digest(*parts):
    """Return a cache-key-safe digest of ``parts`` (names and addresses stay out of keys)."""
    return hashlib.sha256("\0".join(str(part) for part in parts).encode()).hexdigest()


def count(key, seconds):
    """Add one to the counter ``key`` and return the new count.

    The counter's window starts at its first count and lasts ``seconds``.
    """
    cache.add(key, 0, timeout=seconds)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=seconds)
        return 1


def uncount(key):
    """Take one back from the counter ``key`` (a no-op once it has expired)."""
    with contextlib.suppress(ValueError):
        cache.decr(key)


class Limit:
    """At most ``limit`` failures within ``seconds``; then locked for ``seconds``.

    ``reserve()`` counts an attempt before it is tried, and refuses it with
    Throttled when the count would pass the limit or the lock is on. The caller
    then either gives the count back (``give_back()``, the attempt went well or
    never happened) or keeps it (``fail()``, which starts the lock at the limit).
    """

    def __init__(self, key, *, limit, seconds, reason):
        self.key = key
        self.until_key = f"{key}:until"
        self.limit = limit
        self.seconds = seconds
        self.reason = reason

    def locked_until(self):
        """Return when the lock ends (epoch seconds), or None when there is none."""
        until = cache.get(self.until_key)
        return until if until and until > time.time() else None

    def check(self):
        """Raise Throttled while the lock is on; count nothing."""
        if until := self.locked_until():
            raise Throttled(until - time.time(), reason=self.reason)

    def reserve(self):
        self.check()
        if count(self.key, self.seconds) > self.limit:
            # Over the limit with the last allowed attempts still under way: refused
            # untried, and not counted (it never happened).
            uncount(self.key)
            raise Throttled(self.seconds, reason=self.reason)

    def give_back(self):
        uncount(self.key)

    def fail(self):
        """Keep the reserved count; at the limit lock. Return True when this began the lock."""
        if (cache.get(self.key) or 0) < self.limit:
            return False
        until = time.time() + self.seconds
        began = cache.add(self.until_key, until, timeout=self.seconds)
        # The count lives as long as the lock, so the next window starts empty after it.
        cache.touch(self.key, timeout=self.seconds)
        return began

    def clear(self):
        cache.delete_many([self.key, self.until_key])
