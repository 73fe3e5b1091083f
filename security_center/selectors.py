"""Reads of the Security center: the sign-in log, methods activity, the settings in force."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import django_filters
from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.models import AuditEvent, RoleAssignment, Tenant, User
from accounts.roles import VIEW_SIGNINS
from core.filters import KeptFormClassMixin
from security_center.models import AdminCenter, SignIn
from security_info.selectors import registration_figures, users_who_can_reset

# --- the sign-in log -------------------------------------------------------------------

PERIOD_CHOICES = [
    ("", _("Every day kept")),
    ("1", _("Last 24 hours")),
    ("7", _("Last 7 days")),
    ("30", _("Last 30 days")),
]


class SignInFilter(KeptFormClassMixin, django_filters.FilterSet):
    """The sign-in log's filters, read from the query string (the page and its export).

    Every field is bounded, so a crafted query string is a field error on the
    page and a 400 for the export.
    """

    person = django_filters.CharFilter(
        method="filter_person",
        label=_("Person"),
        help_text=_("Sign-in name or display name, or its beginning."),
        max_length=254,
    )
    result = django_filters.ChoiceFilter(
        choices=SignIn.Result.choices, empty_label=_("Any result"), label=_("Result")
    )
    period = django_filters.ChoiceFilter(
        choices=PERIOD_CHOICES[1:],
        empty_label=PERIOD_CHOICES[0][1],
        method="filter_period",
        label=_("Period"),
    )

    class Meta:
        model = SignIn
        fields = ["person", "result", "period"]

    def filter_person(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(username__istartswith=value) | Q(user__display_name__istartswith=value)
        )

    def filter_period(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        since = timezone.now() - timedelta(days=int(value))
        return queryset.filter(created_at__gte=since)


def signin_list(
    *, tenant: Tenant, params: QueryDict | None = None
) -> tuple[QuerySet, SignInFilter]:
    """Return the organization's sign-in attempts filtered by ``params``, and the filter.

    Attempts of no organization (names and passkeys nobody has) are in no list.
    """
    queryset = SignIn.objects.for_tenant(tenant)
    signin_filter = SignInFilter(params or None, queryset=queryset)
    return signin_filter.qs, signin_filter


# --- authentication methods activity ------------------------------------------------------

ACTIVITY_DAYS = 30

# The audit events security_info records when someone registers a method.
REGISTRATIONS = {
    "security_info.phone.add": _("Mobile phone"),
    "security_info.email.add": _("Alternate email"),
    "security_info.app.add": _("Authenticator app"),
    "security_info.passkey.add": _("Passkey or security key"),
    "security_info.backup_codes.generate": _("Backup codes"),
}
RESET_DONE = "password.reset_self"
RESET_GATE = "password_reset.gate_passed"
# The methods a self-service reset proves (security_info.reset's kinds).
RESET_METHODS = {
    "email": _("Alternate email"),
    "phone": _("Mobile phone"),
    "app": _("Authenticator app"),
}


@dataclass
class ActivityDay:
    day: date
    registrations: dict[str, int]
    resets: int
    verifications: dict[str, int]

    @property
    def registered(self) -> int:
        return sum(self.registrations.values())

    @property
    def reset_activity(self) -> int:
        return self.resets + sum(self.verifications.values())


def methods_activity(*, tenant: Tenant, days: int = ACTIVITY_DAYS) -> dict[str, Any]:
    """Return registrations and self-service resets per day and per method, newest day first.

    Days without any activity are left out; ``totals`` adds up the whole period.
    Read from the audit events security_info writes: one query.
    """
    zone = timezone.get_current_timezone()
    today = timezone.localdate()
    since = today - timedelta(days=days - 1)
    counts = (
        AuditEvent.objects.for_tenant(tenant)
        .filter(
            action__in=[*REGISTRATIONS, RESET_DONE, RESET_GATE],
            created_at__date__gte=since,
        )
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("day", "action", "new_values__method")
        .annotate(count=Count("id"))
        .order_by()
    )
    by_day: dict[date, ActivityDay] = {}
    for row in counts:
        day = row["day"]
        if day < since:
            continue
        entry = by_day.setdefault(
            day,
            ActivityDay(day, dict.fromkeys(REGISTRATIONS, 0), 0, dict.fromkeys(RESET_METHODS, 0)),
        )
        if row["action"] in REGISTRATIONS:
            entry.registrations[row["action"]] += row["count"]
        elif row["action"] == RESET_DONE:
            entry.resets += row["count"]
        elif row["new_values__method"] in RESET_METHODS:
            entry.verifications[row["new_values__method"]] += row["count"]
    days_list = sorted(by_day.values(), key=lambda entry: entry.day, reverse=True)
    totals = ActivityDay(
        today,
        {code: sum(d.registrations[code] for d in days_list) for code in REGISTRATIONS},
        sum(d.resets for d in days_list),
        {kind: sum(d.verifications[kind] for d in days_list) for kind in RESET_METHODS},
    )
    return {"days": days_list, "totals": totals, "since": since, "period": days}


def reset_readiness(*, tenant: Tenant) -> list[tuple[str, dict[str, int]]]:
    """Return security_info's figures of who can reset their own password (admins, users)."""
    return registration_figures(tenant=tenant)


def users_unable_to_reset(*, tenant: Tenant) -> QuerySet[User]:
    """Return the active people who cannot reset their own password, by name, admins marked.

    The rule of ``security_info.selectors.registration_figures``: an admin needs two
    of mobile phone, alternate email and authenticator app; anyone else as many as
    the organization's self-service reset asks (one or two). ``admin`` says whether
    the person holds a role.
    """
    able = users_who_can_reset(tenant=tenant).values("pk")
    return (
        User.objects.for_tenant(tenant)
        .active()
        .exclude(pk__in=able)
        .annotate(admin=Exists(RoleAssignment.objects.filter(user=OuterRef("pk"))))
        .order_by("display_name", "username", "pk")
    )


# --- the settings in force ---------------------------------------------------------------


@dataclass(frozen=True)
class SettingRow:
    label: str
    value: str
    # Where it is changed: a URL name of the admin center, or "" for the platform's
    # settings, which the hosting provider sets for every organization.
    url_name: str = ""


def _minutes(seconds: int) -> str:
    count = max(1, round(seconds / 60))
    return ngettext("%(count)d minute", "%(count)d minutes", count) % {"count": count}


def _hours(count: int) -> str:
    return ngettext("%(count)d hour", "%(count)d hours", count) % {"count": count}


def _days(count: int) -> str:
    return ngettext("%(count)d day", "%(count)d days", count) % {"count": count}


def _failures(count: int) -> str:
    return ngettext("%(count)d failure", "%(count)d failures", count) % {"count": count}


def signin_settings(*, tenant: Tenant) -> dict[str, list[SettingRow]]:
    """Return the organization's sign-in settings and the platform's lockout limits, as text."""
    yes, no = gettext("On"), gettext("Off")
    where = "org_settings:security"
    idle = tenant.session_idle_minutes
    longest = tenant.session_max_hours
    organization = [
        SettingRow(
            gettext("Second factor required for admins"),
            yes if tenant.require_mfa_for_admins else no,
            where,
        ),
        SettingRow(
            gettext("Phishing-resistant method required for admins"),
            yes if tenant.require_phishing_resistant_for_admins else no,
            where,
        ),
        SettingRow(
            gettext("Verification steps for users' self-service password reset"),
            gettext("Two") if tenant.reset_gates_for_users == 2 else gettext("One"),
            where,
        ),
        SettingRow(
            gettext("Password expiry"),
            gettext("After %(days)s") % {"days": _days(tenant.password_expiry_days)}
            if tenant.password_expiry_days
            else gettext("Passwords never expire"),
            where,
        ),
        SettingRow(
            gettext("Sign out after inactivity"),
            _minutes(idle * 60)
            if idle
            else gettext("%(value)s (the platform's setting)")
            % {"value": _minutes(settings.PORTAL_SESSION_IDLE_SECONDS)},
            where,
        ),
        SettingRow(
            gettext("Longest session"),
            _hours(longest)
            if longest
            else gettext("%(value)s (the platform's setting)")
            % {"value": _hours(max(1, settings.PORTAL_SESSION_MAX_SECONDS // 3600))},
            where,
        ),
    ]
    platform = [
        SettingRow(
            gettext("Lockout of a sign-in name from one address"),
            gettext("%(attempts)s, then locked for %(duration)s")
            % {
                "attempts": _failures(settings.PORTAL_LOCKOUT_ATTEMPTS),
                "duration": _minutes(settings.PORTAL_LOCKOUT_SECONDS),
            },
        ),
        SettingRow(
            gettext("Lockout of one address across names"),
            gettext("%(attempts)s in %(window)s")
            % {
                "attempts": _failures(settings.PORTAL_THROTTLE_ADDRESS_ATTEMPTS),
                "window": _minutes(settings.PORTAL_THROTTLE_ADDRESS_SECONDS),
            },
        ),
        SettingRow(
            gettext("Growing waits for one account"),
            gettext("After %(attempts)s, from %(first)s up to %(longest)s")
            % {
                "attempts": _failures(settings.PORTAL_THROTTLE_ACCOUNT_FREE_ATTEMPTS),
                "first": _minutes(settings.PORTAL_THROTTLE_ACCOUNT_DELAY_SECONDS),
                "longest": _minutes(settings.PORTAL_THROTTLE_ACCOUNT_MAX_DELAY_SECONDS),
            },
        ),
        SettingRow(
            gettext("Password sign-in stopped until a reset"),
            ngettext(
                "After %(count)d failure in a row",
                "After %(count)d failures in a row",
                settings.PORTAL_THROTTLE_ACCOUNT_MAX_FAILURES,
            )
            % {"count": settings.PORTAL_THROTTLE_ACCOUNT_MAX_FAILURES},
        ),
        SettingRow(
            gettext("Familiar addresses skip the waits for"),
            _days(settings.PORTAL_THROTTLE_FAMILIAR_DAYS),
        ),
        SettingRow(
            gettext("Sign-in log kept for"),
            _days(settings.PORTAL_SIGNIN_LOG_DAYS),
        ),
    ]
    return {"organization": organization, "platform": platform}


# --- the admin centers -------------------------------------------------------------------


def admin_centers_for(*, user: User) -> list[AdminCenter]:
    """Return the external admin centers whose roles ``user`` holds, in their order."""
    held = set(user.role_codes)
    if not held:
        return []
    return [center for center in AdminCenter.objects.all() if held & set(center.roles)]


def can_open_security_center(*, user: User) -> bool:
    """Return whether ``user`` may open the Security center."""
    return user.has_perm(VIEW_SIGNINS)
