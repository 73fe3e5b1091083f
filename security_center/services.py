"""Writes of the Security center: the sign-in log's rows and their purge."""

import functools
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from ua_parser import parse as parse_user_agent

from accounts.lockout import client_ip
from accounts.models import User
from core.pagecache import EVENTS, organization_changed
from security_center.models import SignIn

# The django-otp device models behind each second-step method, by model label
# (accounts hands over the device through django-otp's generic API).
_METHODS_BY_DEVICE = {
    "security_info.phonedevice": SignIn.Method.TEXT_MESSAGE,
    "otp_totp.totpdevice": SignIn.Method.APP,
    "security_info.backupcodedevice": SignIn.Method.BACKUP_CODE,
    "otp_static.staticdevice": SignIn.Method.BACKUP_CODE,
    "security_info.temporarypassdevice": SignIn.Method.TEMPORARY_PASS,
    "security_info.passkeydevice": SignIn.Method.PASSKEY,
}


def signin_method(device: object | None, *, passkey: bool = False) -> str:
    """Return the ``SignIn.Method`` of a second step with ``device`` (None: no device)."""
    if passkey:
        return SignIn.Method.PASSKEY
    if device is None:
        return SignIn.Method.NONE
    return _METHODS_BY_DEVICE.get(device._meta.label_lower, SignIn.Method.OTHER)


def _version(family: str, *parts: str | None) -> str:
    return " ".join([family, ".".join(part for part in parts if part)]).strip()


@functools.lru_cache(maxsize=512)
def browser_and_os(user_agent: str) -> tuple[str, str]:
    """Return the browser and operating system a user agent names ("Chrome 131", "Windows 10").

    Unknown or empty parts are "". The same few agents sign in over and over: each
    is parsed once per process.
    """
    if not user_agent:
        return "", ""
    parsed = parse_user_agent(user_agent)
    browser = parsed.user_agent
    system = parsed.os
    browser_text = _version(browser.family, browser.major) if browser else ""
    system_text = _version(system.family, system.major, system.minor) if system else ""
    if browser_text == "Other":
        browser_text = ""
    if system_text == "Other":
        system_text = ""
    return browser_text[:100], system_text[:100]


def signin_record(
    *,
    request: HttpRequest,
    user: User | None,
    username: str,
    reason: str = "",
    device: object | None = None,
    passkey: bool = False,
) -> SignIn:
    """Record one sign-in attempt that ended: signed in when ``reason`` is "", else refused.

    The row belongs to ``user``'s organization; an attempt for a name or passkey
    that no account has belongs to none, so no organization's log shows it.
    """
    agent = request.headers.get("user-agent", "")[:512]
    browser, system = browser_and_os(agent)
    signin = SignIn.objects.create(
        tenant_id=user.tenant_id if user is not None else None,
        user=user,
        username=(user.username if user is not None else username)[:254],
        ip_address=client_ip(request),
        user_agent=agent,
        browser=browser,
        operating_system=system,
        result=SignIn.Result.FAILURE if reason else SignIn.Result.SUCCESS,
        reason=reason,
        method=signin_method(device, passkey=passkey),
    )
    # Not every attempt writes an audit event (one refused by a lock does not): the
    # organization's event pages, this log among them, are rendered afresh.
    organization_changed(signin.tenant_id, (EVENTS,))
    return signin


def signins_purge(*, now: datetime | None = None) -> int:
    """Delete the sign-in log's rows older than ``PORTAL_SIGNIN_LOG_DAYS``; return how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.PORTAL_SIGNIN_LOG_DAYS)
    with transaction.atomic():
        deleted, _counts = SignIn.objects.filter(created_at__lt=cutoff).delete()
    return deleted
