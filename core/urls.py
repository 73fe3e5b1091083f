"""``reverse()`` kept per process for the URLs pages name again and again.

Reversing a URL name walks the resolver's patterns: about 30 µs each, and a page
names 10 to 60 of them. The answer depends only on the name, its arguments, the
URL configuration, the script prefix and the current application, so it is kept
(for the most recent 20,000) when every argument is a plain ``int`` or ``str``.
"""

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from django.urls import get_script_prefix, get_urlconf, reverse

_PLAIN = (int, str)


@functools.lru_cache(maxsize=20_000)
def _kept(
    urlconf: str | None,
    prefix: str,
    view_name: str,
    args: tuple[Any, ...],
    kwargs: tuple[tuple[str, Any], ...],
    current_app: str | None,
) -> str:
    return reverse(
        view_name, urlconf=urlconf, args=args, kwargs=dict(kwargs), current_app=current_app
    )


def cached_reverse(
    view_name: str,
    args: Sequence[Any] = (),
    kwargs: Mapping[str, Any] | None = None,
    current_app: str | None = None,
) -> str:
    """Return ``reverse(view_name, args=args, kwargs=kwargs)``, from memory when it can."""
    kwargs = kwargs or {}
    plain = isinstance(view_name, str) and all(
        type(value) in _PLAIN for value in (*args, *kwargs.values())
    )
    if not plain:
        return reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
    return _kept(
        get_urlconf(),
        get_script_prefix(),
        view_name,
        tuple(args),
        tuple(sorted(kwargs.items())),
        current_app,
    )
