"""Demo data of the Security center, added by ``manage.py seed_demo`` (idempotent).

The sign-in log of the demo's history. The Reports area's demo (seeded before
this one: the areas are seeded in the order of ``INSTALLED_APPS``) writes 90 days
of sign-in events to the audit log; this writes the log row the sign-in flow
writes with each of those attempts, for the days the log keeps
(``PORTAL_SIGNIN_LOG_DAYS``): older rows are what the nightly purge removes, so
none are written. The log and Reports > Sign-ins then tell the same story: the
same people, times, results, failure reasons and second steps, and the browser
and system read from each event's user agent as ``signin_record`` reads them.
"""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from accounts.models import AuditEvent, User
from core.pagecache import EVENTS, organization_changed
from reports.selectors import organization_zone
from security_center.models import SignIn
from security_center.services import browser_and_os, signin_method
from security_info.selectors import sign_in_methods

# The row each sign-in event stands for: (result, failure reason). A lockout event
# marks the failure that began the lock, which has a row of its own.
ROWS = {
    "signin.success": (SignIn.Result.SUCCESS, SignIn.Reason.NONE),
    "signin.failure": (SignIn.Result.FAILURE, SignIn.Reason.WRONG_PASSWORD),
    "signin.mfa_failure": (SignIn.Result.FAILURE, SignIn.Reason.SECOND_STEP_FAILED),
    "signin.passkey_failure": (SignIn.Result.FAILURE, SignIn.Reason.PASSKEY_FAILED),
}
BATCH_SIZE = 2000


def seed(*, tenant):
    """Write the sign-in log's rows of the demo's sign-in events in the kept days, once."""
    zone = organization_zone(tenant)
    today_began = datetime.combine(timezone.localdate(None, zone), time.min, tzinfo=zone)
    if SignIn.objects.for_tenant(tenant).filter(created_at__lt=today_began).exists():
        return  # a log is there already (seeded, or lived)
    kept_since = timezone.now() - timedelta(days=settings.PORTAL_SIGNIN_LOG_DAYS)
    events = list(
        AuditEvent.objects.for_tenant(tenant)
        .filter(
            action__in=list(ROWS),
            target_type="accounts.user",
            created_at__gte=kept_since,
            created_at__lt=today_began,
        )
        .order_by("created_at", "id")
    )
    if not events:
        return
    people = User.objects.filter(
        tenant=tenant, pk__in={int(e.target_id) for e in events if e.target_id.isdigit()}
    ).in_bulk()
    methods = _methods(events, people)
    rows = []
    for event in events:
        person = people.get(int(event.target_id)) if event.target_id.isdigit() else None
        result, reason = ROWS[event.action]
        browser, system = browser_and_os(event.user_agent)
        rows.append(
            SignIn(
                tenant=tenant,
                user=person,
                username=(person.username if person else event.target_label)[:254],
                created_at=event.created_at,
                ip_address=event.ip_address,
                user_agent=event.user_agent[:512],
                browser=browser,
                operating_system=system,
                result=result,
                reason=reason,
                method=_method(event, person, methods),
            )
        )
    SignIn.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    organization_changed(tenant.pk, (EVENTS,))


def _methods(events, people):
    """Return {person pk: their ``SignIn.Method``} for those the events show at a second step.

    The method is the one the person has now (their first sign-in factor).
    """
    stepped = {
        int(event.target_id)
        for event in events
        if event.action == "signin.mfa_failure"
        or (event.action == "signin.success" and event.new_values.get("second_factor"))
    }
    methods = {}
    for pk in stepped:
        devices = sign_in_methods(user=people[pk]) if pk in people else []
        methods[pk] = signin_method(devices[0]) if devices else SignIn.Method.OTHER
    return methods


def _method(event, person, methods):
    """Return the second step of the attempt ``event`` recorded ("" when there was none)."""
    if event.action == "signin.passkey_failure":
        return SignIn.Method.PASSKEY
    if person is None:
        return SignIn.Method.NONE
    if event.action == "signin.mfa_failure" or event.new_values.get("second_factor"):
        return methods.get(person.pk, SignIn.Method.OTHER)
    return SignIn.Method.NONE
