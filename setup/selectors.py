"""Setup's facts, read from the organization's real state, and the steps and score on them.

Nothing here is a box someone ticked: every step and every recommended action is
computed from the organization's domains, people, licenses, roles, methods,
settings and API clients. The facts cost two queries whatever the size of the
organization (no loop over users): one for the counts, one for the admins with
their roles and methods.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Exists, OuterRef
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext

from accounts import roles
from accounts.models import ROLE_CODES_ANNOTATION, Domain, RoleAssignment, Tenant, User
from accounts.roles import GLOBAL_ADMIN, ROLES, can_assign_role
from api.selectors import api_clients
from billing.selectors import licensed_user_ids
from core.aggregates import split_text_list
from core.pagecache import EVENTS, organization_cached
from core.prepared import count_of
from security_info import selectors as methods

# An admin who has not signed in for this long (or, never signed in, was added this
# long ago) holds a role nobody uses.
STALE_AFTER = timedelta(days=90)
# The share of people (in percent) who can reset their own password for that step to be done.
SELF_RESET_TARGET = 80
# Global admins: at least two (one lost account never locks the organization out),
# at most four (fewer accounts that can do everything).
GLOBAL_ADMINS_MIN, GLOBAL_ADMINS_MAX = 2, 4
# How long the facts are kept for Home at most (any change renews them at once), and
# under which name: a new one whenever Facts changes shape.
FACTS_SECONDS = 60
FACTS_KEY = "setup-facts-1"

# The organization profile's fields the profile step asks for.
PROFILE_FIELDS = ("technical_contact_email", "address", "phone")


@dataclass(frozen=True)
class Facts:
    """What Setup knows about an organization, all counted from its data."""

    custom_domains: int  # verified, other than the initial one
    users: int  # not deleted
    licensed_users: int
    api_clients: int  # neither revoked nor expired
    admins: int  # people with a role, not deleted
    admins_two_methods: int  # can reset their own password
    admins_second_factor: int
    admins_phishing_resistant: int
    admins_stale: int
    global_admins: int  # who can sign in
    self_reset_people: int  # users who can reset their own password (security_info's rule)
    require_mfa_for_admins: bool
    require_phishing_resistant_for_admins: bool
    password_expiry_days: int | None
    profile_missing: tuple[str, ...]  # names of PROFILE_FIELDS left empty


# --- reads ---------------------------------------------------------------------------


def admin_rows(*, tenant: Tenant) -> list[dict[str, Any]]:
    """Return every person of ``tenant`` with a role (not deleted), by name, in one query.

    Each row holds the person's ``roles`` (in the Roles page's order), their methods
    masked (``methods``), whether they can reset their own password, have a second
    factor or a passkey, their last sign-in and whether that is too long ago.
    """
    has_role = Exists(RoleAssignment.objects.filter(user=OuterRef("pk")))
    found = (
        User.objects.for_tenant(tenant)
        .active()
        .filter(has_role)
        .with_role_codes()
        .order_by("display_name", "pk")
        .values(
            "pk",
            "display_name",
            "username",
            "last_login",
            "date_joined",
            "is_active",
            "is_sign_in_blocked",
            ROLE_CODES_ANNOTATION,
            **methods.method_columns(),
        )
    )
    stale_before = timezone.now() - STALE_AFTER
    order = list(ROLES)
    rows = []
    for row in found:
        codes = sorted(
            (code for code in split_text_list(row[ROLE_CODES_ANNOTATION]) if code in ROLES),
            key=order.index,
        )
        rows.append(
            {
                "pk": row["pk"],
                "display_name": row["display_name"],
                "username": row["username"],
                "last_login": row["last_login"],
                "role_codes": codes,
                "roles": [ROLES[code] for code in codes],
                "methods": [m for m in methods.methods_masked(row) if m["present"]],
                "can_self_reset": methods.admin_can_reset_own_password(row),
                "second_factor": methods.has_second_factor(row),
                "phishing_resistant": methods.has_phishing_resistant_method(row),
                "stale": (row["last_login"] or row["date_joined"]) < stale_before,
                "can_sign_in": row["is_active"] and not row["is_sign_in_blocked"],
            }
        )
    return rows


def _counts(tenant: Tenant) -> dict[str, int]:
    now = timezone.now()
    people = User.objects.for_tenant(tenant).active()
    counts = {
        "custom_domains": count_of(
            Domain.objects.for_tenant(tenant).filter(is_verified=True, is_initial=False)
        ),
        "users": count_of(people),
        "licensed_users": count_of(people.filter(pk__in=licensed_user_ids(tenant=tenant))),
        "api_clients": count_of(
            api_clients(tenant.pk).filter(revoked_at__isnull=True, expires_at__gt=now)
        ),
        "self_reset_people": count_of(methods.users_who_can_reset(tenant=tenant)),
    }
    # One query; the names are prefixed, as the tenant's relations hold some of them.
    found = (
        Tenant.objects.filter(pk=tenant.pk)
        .values(**{f"count_{name}": value for name, value in counts.items()})
        .get()
    )
    return {name: found[f"count_{name}"] for name in counts}


def facts(*, tenant: Tenant) -> Facts:
    """Return the organization's facts, read afresh (two queries)."""
    admins = admin_rows(tenant=tenant)
    counts = _counts(tenant)
    return Facts(
        **counts,
        admins=len(admins),
        admins_two_methods=sum(row["can_self_reset"] for row in admins),
        admins_second_factor=sum(row["second_factor"] for row in admins),
        admins_phishing_resistant=sum(row["phishing_resistant"] for row in admins),
        admins_stale=sum(row["stale"] for row in admins),
        global_admins=sum(
            row["can_sign_in"] and GLOBAL_ADMIN in row["role_codes"] for row in admins
        ),
        require_mfa_for_admins=tenant.require_mfa_for_admins,
        require_phishing_resistant_for_admins=tenant.require_phishing_resistant_for_admins,
        password_expiry_days=tenant.password_expiry_days,
        profile_missing=tuple(name for name in PROFILE_FIELDS if not getattr(tenant, name)),
    )


def cached_facts(*, tenant: Tenant) -> Facts:
    """Return ``facts``, kept until the organization changes (or a sign-in), for Home."""
    return organization_cached(
        tenant.pk, FACTS_KEY, lambda: facts(tenant=tenant), timeout=FACTS_SECONDS, scope=EVENTS
    )


# --- links -----------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    """A page that does something, and the permission that opens it."""

    label: Promise
    url_name: str
    permission: str
    args: tuple = ()


def _open_link(links: tuple[Link, ...], user: User) -> dict[str, str] | None:
    """Return the first of ``links`` that ``user`` may open and that is installed."""
    for link in links:
        if not user.has_perm(link.permission):
            continue
        try:
            url = reverse(link.url_name, args=link.args)
        except NoReverseMatch:  # its area is not installed
            continue
        return {"label": str(link.label), "url": url}
    return None


def _may(permission: str) -> Callable[[User], bool]:
    return lambda user: user.has_perm(permission)


# --- the guided setup --------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """A step of the guided setup: why it matters, whom it is for, how it is judged."""

    key: str
    title: Promise
    why: Promise
    # Who can do the step (whoever holds VIEW_SETUP sees every step).
    can_do: Callable[[User], bool]
    links: tuple[Link, ...]
    # (done, the figure behind it) from the facts.
    judge: Callable[[Facts], tuple[bool, str]]


def _domain(f: Facts) -> tuple[bool, str]:
    if f.custom_domains:
        return True, ngettext(
            "%(count)d custom domain verified",
            "%(count)d custom domains verified",
            f.custom_domains,
        ) % {"count": f.custom_domains}
    return False, _("Only the initial domain is verified")


def _people(f: Facts) -> tuple[bool, str]:
    return f.users > 1, ngettext(
        "%(count)d person in the organization", "%(count)d people in the organization", f.users
    ) % {"count": f.users}


def _licenses(f: Facts) -> tuple[bool, str]:
    return f.licensed_users > 0, ngettext(
        "%(licensed)d of %(count)d person has a license",
        "%(licensed)d of %(count)d people have a license",
        f.users,
    ) % {"licensed": f.licensed_users, "count": f.users}


def _global_admins(f: Facts) -> tuple[bool, str]:
    return f.global_admins >= GLOBAL_ADMINS_MIN, ngettext(
        "%(count)d Global admin can sign in", "%(count)d Global admins can sign in", f.global_admins
    ) % {"count": f.global_admins}


def _admin_methods(f: Facts) -> tuple[bool, str]:
    params = {"ok": f.admins_two_methods, "count": f.admins}
    if f.require_mfa_for_admins:
        figure = ngettext(
            "Required for admins; %(ok)d of %(count)d admin registered two methods",
            "Required for admins; %(ok)d of %(count)d admins registered two methods",
            f.admins,
        )
    else:
        figure = ngettext(
            "Not required for admins; %(ok)d of %(count)d admin registered two methods",
            "Not required for admins; %(ok)d of %(count)d admins registered two methods",
            f.admins,
        )
    done = f.require_mfa_for_admins and f.admins_two_methods == f.admins
    return done, figure % params


def self_reset_percent(f: Facts) -> int:
    """Return the share of people who can reset their own password, in whole percent (down)."""
    return f.self_reset_people * 100 // f.users if f.users else 0


def _self_reset(f: Facts) -> tuple[bool, str]:
    percent = self_reset_percent(f)
    figure = ngettext(
        "%(ok)d of %(count)d person can reset their own password (%(percent)d%%); "
        "the goal is %(target)d%%",
        "%(ok)d of %(count)d people can reset their own password (%(percent)d%%); "
        "the goal is %(target)d%%",
        f.users,
    ) % {
        "ok": f.self_reset_people,
        "count": f.users,
        "percent": percent,
        "target": SELF_RESET_TARGET,
    }
    return f.users > 0 and percent >= SELF_RESET_TARGET, figure


def _profile(f: Facts) -> tuple[bool, str]:
    if not f.profile_missing:
        return True, _("Technical contact, address and phone filled in")
    names = ", ".join(str(Tenant._meta.get_field(name).verbose_name) for name in f.profile_missing)
    return False, _("Not filled in: %(fields)s") % {"fields": names}


def _provisioning(f: Facts) -> tuple[bool, str]:
    if f.api_clients:
        return True, ngettext(
            "%(count)d active API client", "%(count)d active API clients", f.api_clients
        ) % {"count": f.api_clients}
    return False, _("No active API client")


STEPS = (
    Step(
        "domain",
        _lazy("Verify a custom domain"),
        _lazy(
            "People recognize sign-in names and addresses on your own domain, and a domain "
            "is used only once you prove it is yours."
        ),
        _may(roles.CHANGE_DOMAINS),
        (Link(_lazy("Go to Domains"), "org_settings:domain_list", roles.VIEW_DOMAINS),),
        _domain,
    ),
    Step(
        "people",
        _lazy("Add people"),
        _lazy("The admin center manages the people of your organization: add who works there."),
        _may(roles.ADD_USERS),
        (Link(_lazy("Add a user"), "users:user_add", roles.ADD_USERS),),
        _people,
    ),
    Step(
        "licenses",
        _lazy("Assign licenses"),
        _lazy("People use a product only once one of its licenses is assigned to them."),
        _may(roles.CHANGE_LICENSES),
        (Link(_lazy("Go to Licenses"), "billing:license_list", roles.VIEW_LICENSES),),
        _licenses,
    ),
    Step(
        "global_admins",
        _lazy("Add a second Global admin"),
        _lazy(
            "With two Global admins, one lost or blocked account never locks the organization out."
        ),
        lambda user: can_assign_role(user, GLOBAL_ADMIN),
        (Link(_lazy("Go to Roles"), "users:role_list", roles.VIEW_ROLES),),
        _global_admins,
    ),
    Step(
        "admin_methods",
        _lazy("Protect admin accounts with a second factor"),
        _lazy(
            "A second factor stops most account takeovers, and an admin with two methods "
            "resets their own password without help."
        ),
        _may(roles.CHANGE_TENANT),
        (
            Link(_lazy("Go to Security & privacy"), "org_settings:security", roles.VIEW_TENANT),
            Link(_lazy("Go to Admin access"), "setup:admin_access", roles.VIEW_SETUP),
        ),
        _admin_methods,
    ),
    Step(
        "self_reset",
        _lazy("Let people reset their own password"),
        _lazy(
            "People who can reset their own password don't wait for the helpdesk, and the "
            "helpdesk resets fewer passwords."
        ),
        _may(roles.RESET_PASSWORDS),
        (
            Link(
                _lazy("See who can't yet"), "reports:report", roles.VIEW_REPORTS, ("security-info",)
            ),
            Link(_lazy("Go to Active users"), "users:user_list", roles.VIEW_USERS),
        ),
        _self_reset,
    ),
    Step(
        "profile",
        _lazy("Fill in the technical contact and organization profile"),
        _lazy("The service provider reaches the technical contact and the organization there."),
        _may(roles.CHANGE_TENANT),
        (Link(_lazy("Go to Org profile"), "org_settings:profile", roles.VIEW_TENANT),),
        _profile,
    ),
    Step(
        "provisioning",
        _lazy("Connect provisioning through the API or SCIM"),
        _lazy(
            "An identity provider or HR system that adds and removes people keeps accounts "
            "in step with who works for you."
        ),
        _may(roles.CHANGE_API_CLIENTS),
        (Link(_lazy("Go to API access"), "api:apiclient_list", roles.VIEW_API_CLIENTS),),
        _provisioning,
    ),
)


def steps_for(user: User) -> tuple[Step, ...]:
    """Return the steps ``user`` sees: every one with VIEW_SETUP, else the ones they can do."""
    if user.has_perm(roles.VIEW_SETUP):
        return STEPS
    return tuple(step for step in STEPS if step.can_do(user))


def setup_steps(*, user: User, facts: Facts) -> list[dict[str, Any]]:
    """Return the steps ``user`` sees, each judged on ``facts``, with the link they may open."""
    results = []
    for step in steps_for(user):
        done, figure = step.judge(facts)
        results.append(
            {
                "key": step.key,
                "title": step.title,
                "why": step.why,
                "done": done,
                "figure": figure,
                "link": _open_link(step.links, user),
            }
        )
    return results


def progress(steps: list[dict[str, Any]]) -> dict[str, int]:
    """Return how many of ``steps`` are done, of how many."""
    return {"done": sum(step["done"] for step in steps), "total": len(steps)}


# --- recommended actions -----------------------------------------------------------

# Points per action, in the manner of Microsoft's Secure Score: they sum to 100.
POINTS = {
    "phishing_resistant": 20,
    "admin_second_factor": 30,
    "password_expiry_off": 10,
    "no_stale_admins": 20,
    "global_admin_count": 20,
}


@dataclass(frozen=True)
class Action:
    """A recommended action: what to do, and how much of its points the facts earn."""

    key: str
    title: Promise
    why: Promise
    fix: tuple[Link, ...]
    # (share of the points earned as (part, whole), the current state) from the facts.
    judge: Callable[[Facts], tuple[tuple[int, int], str]]

    @property
    def points(self) -> int:
        return POINTS[self.key]


def earned(points: int, part: int, whole: int) -> int:
    """Return the points earned for ``part`` of ``whole`` (all of them when there is no whole).

    Rounded down, so an action is worth its full points only when it is fully done.
    """
    if whole <= 0:
        return points
    return points * min(part, whole) // whole


def _phishing_resistant(f: Facts) -> tuple[tuple[int, int], str]:
    keys = {"ok": f.admins_phishing_resistant, "count": f.admins}
    if f.require_phishing_resistant_for_admins:
        state = ngettext(
            "Required; %(ok)d of %(count)d admin has a passkey",
            "Required; %(ok)d of %(count)d admins have a passkey",
            f.admins,
        )
    else:
        state = ngettext(
            "Not required; %(ok)d of %(count)d admin has a passkey",
            "Not required; %(ok)d of %(count)d admins have a passkey",
            f.admins,
        )
    return (int(f.require_phishing_resistant_for_admins), 1), state % keys


def _second_factor(f: Facts) -> tuple[tuple[int, int], str]:
    state = ngettext(
        "%(ok)d of %(count)d admin has a second factor",
        "%(ok)d of %(count)d admins have a second factor",
        f.admins,
    ) % {"ok": f.admins_second_factor, "count": f.admins}
    return (f.admins_second_factor, f.admins), state


def _password_expiry(f: Facts) -> tuple[tuple[int, int], str]:
    if not f.password_expiry_days:
        return (1, 1), _("Passwords never expire")
    return (0, 1), ngettext(
        "Passwords expire after %(days)d day",
        "Passwords expire after %(days)d days",
        f.password_expiry_days,
    ) % {"days": f.password_expiry_days}


def _stale_admins(f: Facts) -> tuple[tuple[int, int], str]:
    state = ngettext(
        "%(stale)d of %(count)d admin has not signed in for %(days)d days",
        "%(stale)d of %(count)d admins have not signed in for %(days)d days",
        f.admins,
    ) % {"stale": f.admins_stale, "count": f.admins, "days": STALE_AFTER.days}
    return (f.admins - f.admins_stale, f.admins), state


def _global_admin_count(f: Facts) -> tuple[tuple[int, int], str]:
    within = GLOBAL_ADMINS_MIN <= f.global_admins <= GLOBAL_ADMINS_MAX
    state = ngettext(
        "%(count)d Global admin can sign in", "%(count)d Global admins can sign in", f.global_admins
    ) % {"count": f.global_admins}
    return (int(within), 1), state


_SECURITY = Link(_lazy("Go to Security & privacy"), "org_settings:security", roles.VIEW_TENANT)
_ROLES = Link(_lazy("Go to Roles"), "users:role_list", roles.VIEW_ROLES)

ACTIONS = (
    Action(
        "phishing_resistant",
        _lazy("Require phishing-resistant methods for admins"),
        _lazy("A passkey cannot be phished: a fake sign-in page gets nothing it can use."),
        (_SECURITY,),
        _phishing_resistant,
    ),
    Action(
        "admin_second_factor",
        _lazy("Leave no admin without a second factor"),
        _lazy("A stolen password alone then opens no admin account."),
        (Link(_lazy("Go to Admin access"), "setup:admin_access", roles.VIEW_SETUP), _SECURITY),
        _second_factor,
    ),
    Action(
        "password_expiry_off",
        _lazy("Turn off password expiry"),
        _lazy(
            "Passwords changed on a schedule get weaker and get written down; current "
            "guidance is to change them only when they leak."
        ),
        (_SECURITY,),
        _password_expiry,
    ),
    Action(
        "no_stale_admins",
        _lazy("Remove admin roles nobody uses"),
        _lazy("An admin account nobody signs in to is one nobody watches: take the roles away."),
        (Link(_lazy("Go to Admin access"), "setup:admin_access", roles.VIEW_SETUP), _ROLES),
        _stale_admins,
    ),
    Action(
        "global_admin_count",
        _lazy("Keep between 2 and 4 Global admins"),
        _lazy(
            "Two, so one lost account never locks you out; no more than four, so few "
            "accounts can do everything."
        ),
        (_ROLES,),
        _global_admin_count,
    ),
)


def recommended_actions(*, user: User, facts: Facts) -> dict[str, Any]:
    """Return the actions judged on ``facts``, each with its points, and the score of 100."""
    rows = []
    for action in ACTIONS:
        (part, whole), state = action.judge(facts)
        points = action.points
        got = earned(points, part, whole)
        rows.append(
            {
                "key": action.key,
                "title": action.title,
                "why": action.why,
                "points": points,
                "earned": got,
                "done": got == points,
                "state": state,
                "fix": _open_link(action.fix, user),
            }
        )
    return {
        "actions": rows,
        "score": sum(row["earned"] for row in rows),
        "total": sum(POINTS.values()),
    }


def last_sign_in_text(value: datetime | None) -> str:
    """Return a last sign-in for a CSV file: ISO 8601 in the organization's zone, or empty."""
    return timezone.localtime(value).isoformat(timespec="seconds") if value else ""
