"""Demo history for the reports, added by ``manage.py seed_demo`` (idempotent).

Ninety days of what the demo organization's people did, written as the flows
write it to the audit log: sign-ins (mostly on weekdays, in office hours, a few
wrong passwords and now and then a lockout), self-service password resets,
security info registered over the weeks, and licenses that came and went. The
days are the organization's; a fixed seed makes every run draw the same
history (relative to today). Written with one bulk insert: ``seed_demo`` runs in
``make run``.
"""

import random
from datetime import datetime, time, timedelta

from django.utils import timezone

from accounts import lockout
from accounts.management.commands.seed_demo import demo_account
from accounts.models import AuditEvent, User
from billing.selectors import live_subscriptions
from core.pagecache import organization_changed
from reports import selectors

HISTORY_DAYS = 90
SEED = 20
# The demo accounts and the first ordinary users: the people with a history.
PEOPLE = 48
USER = "accounts.user"
ADDRESSES = ["203.0.113.24", "203.0.113.57", "198.51.100.12", "198.51.100.140", "192.0.2.33"]
AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
]
# Failed attempts before a lock begins, as the limits usually let them through.
FAILURES_BEFORE_LOCK = 5


def seed(*, tenant):
    """Add 90 days of sign-ins, resets, registrations and license changes, once."""
    zone = selectors.organization_zone(tenant)
    today = timezone.localdate(None, zone)
    today_began = datetime.combine(today, time.min, tzinfo=zone)
    events = AuditEvent.objects.for_tenant(tenant)
    if events.filter(action="signin.success", created_at__lt=today_began).exists():
        return  # a history is there already (seeded, or lived)
    people = list(
        User.objects.for_tenant(tenant)
        .active()
        .filter(is_active=True)
        .with_role_codes()
        .order_by("id")[:PEOPLE]
    )
    if not people:
        return
    events = draw(tenant, people, billing=demo_account(tenant, "billing"), today=today)
    AuditEvent.objects.bulk_create(events, batch_size=2000)
    # bulk_create skips the audit's own call: the reports are rendered afresh.
    organization_changed(tenant.pk)


def draw(tenant, people, *, billing, today):
    """Return the demo's events (unsaved) for ``people``: the same on every call."""
    zone = selectors.organization_zone(tenant)
    history = History(tenant, zone, today, random.Random(SEED))  # noqa: S311 - a demo's dice
    history.sign_ins(people)
    history.resets(people)
    history.registrations(people)
    history.licenses(people, billing=billing)
    return history.events


class History:
    """The demo's events, drawn day by day with ``rng``."""

    def __init__(self, tenant, zone, today, rng):
        self.tenant, self.zone, self.rng = tenant, zone, rng
        self.days = [today - timedelta(days=n) for n in range(HISTORY_DAYS, 0, -1)]
        self.events = []

    def moment(self, day, start_hour=7, end_hour=19):
        """Return a moment of ``day`` in the organization, within office hours by default."""
        minutes = self.rng.randrange(start_hour * 60, end_hour * 60)
        return datetime.combine(
            day, time(minutes // 60, minutes % 60, self.rng.randrange(60)), tzinfo=self.zone
        )

    def add(self, action, person, when, *, by=None, label=None, new=None, old=None, seen=None):
        """Add an event ``action`` about ``person``, done by ``by`` (a user, or nobody)."""
        address, agent = seen or (self.rng.choice(ADDRESSES), self.rng.choice(AGENTS))
        self.events.append(
            AuditEvent(
                tenant=self.tenant,
                actor=by,
                actor_label=by.username if by is not None else "",
                action=action,
                target_type=USER,
                target_id=str(person.pk),
                target_label=label or str(person),
                old_values=old or {},
                new_values=new or {},
                ip_address=address,
                user_agent=agent,
                created_at=when,
            )
        )

    def sign_ins(self, people):
        """Weekday sign-ins in office hours, some weekends; wrong passwords and a few locks."""
        rng = self.rng
        habits = {
            person.pk: (
                rng.uniform(0.55, 0.95),  # how likely on a weekday
                person.is_admin or rng.random() < 0.45,  # signs in with a second step
                (rng.choice(ADDRESSES), rng.choice(AGENTS)),  # their usual device
            )
            for person in people
        }
        for day in self.days:
            weekday = day.weekday() < 5
            for person in people:
                likely, second, seen = habits[person.pk]
                if rng.random() >= (likely if weekday else likely / 12):
                    continue
                when = self.moment(day, 7, 19) if weekday else self.moment(day, 9, 22)
                if rng.random() < 0.04:  # a mistyped password first
                    self.failure(person, when - timedelta(seconds=40), seen)
                if second and rng.random() < 0.02:  # a code typed too late
                    self.add("signin.mfa_failure", person, when - timedelta(seconds=20), seen=seen)
                self.add(
                    "signin.success",
                    person,
                    when,
                    by=person,
                    new={"second_factor": second},
                    seen=seen,
                )
                if weekday and rng.random() < 0.15:  # back after lunch
                    later = when + timedelta(hours=rng.randint(3, 5), minutes=rng.randrange(60))
                    if later.date() == day:
                        self.add(
                            "signin.success", person, later, by=person,
                            new={"second_factor": second}, seen=seen,
                        )  # fmt: skip
            if rng.random() < (0.12 if weekday else 0.05):
                self.lockout(rng.choice(people), day)

    def failure(self, person, when, seen=None):
        self.add("signin.failure", person, when, label=person.username, seen=seen)

    def lockout(self, person, day):
        """Failed attempts from somewhere else until the lock begins, as a guessing run does."""
        seen = (f"192.0.2.{self.rng.randrange(100, 250)}", "python-requests/2.32.3")
        when = self.moment(day, 0, 24)
        for attempt in range(FAILURES_BEFORE_LOCK):
            self.failure(person, when + timedelta(seconds=attempt * 7), seen)
        self.add(
            "signin.lockout",
            person,
            when + timedelta(seconds=FAILURES_BEFORE_LOCK * 7),
            label=person.username,
            new={"kind": lockout.PAIR},
            seen=seen,
        )

    def resets(self, people):
        """Now and then someone resets a forgotten password; rarely they are stopped."""
        for day in self.days:
            if day.weekday() >= 5 or self.rng.random() >= 0.35:
                continue
            person = self.rng.choice(people)
            when = self.moment(day, 7, 10)
            seen = (self.rng.choice(ADDRESSES), self.rng.choice(AGENTS))
            method = self.rng.choice(["phone", "email"])
            self.add(
                "password_reset.start", person, when, seen=seen,
                new={"method": method, "can_continue": True},
            )  # fmt: skip
            if self.rng.random() < 0.12:
                self.add("password_reset.too_many_codes", person, when + timedelta(minutes=3))
                continue
            self.add("password.reset_self", person, when + timedelta(minutes=2), seen=seen)
        for day in self.rng.sample(self.days, 2):  # tried too often in one day
            self.add("password_reset.blocked", self.rng.choice(people), self.moment(day))

    def registrations(self, people):
        """Security info registered over the weeks: most in the first month's campaign."""
        campaign = self.days[: HISTORY_DAYS // 3]
        for index, person in enumerate(people):
            local = person.username.split("@")[0]
            if self.rng.random() < 0.8:
                day = self.rng.choice(campaign if self.rng.random() < 0.7 else self.days)
                number = f"+31 6 ••••••{index % 100:02d}"
                self.add(
                    "security_info.phone.add", person, self.moment(day), by=person,
                    new={"number": number},
                )  # fmt: skip
            if self.rng.random() < 0.6:
                day = self.rng.choice(self.days)
                self.add(
                    "security_info.email.add", person, self.moment(day), by=person,
                    new={"email": f"{local[:1]}•••@example.org"},
                )  # fmt: skip
            if person.is_admin or self.rng.random() < 0.35:
                day = self.rng.choice(self.days[HISTORY_DAYS // 4 :])
                self.add(
                    "security_info.app.add", person, self.moment(day), by=person,
                    new={"app": "Authenticator app"},
                )  # fmt: skip
            if (person.is_admin and self.rng.random() < 0.7) or self.rng.random() < 0.08:
                day = self.rng.choice(self.days[HISTORY_DAYS // 2 :])
                self.add(
                    "security_info.passkey.add", person, self.moment(day), by=person,
                    new={"passkey": "Security key", "discoverable": True},
                )  # fmt: skip
            if self.rng.random() < 0.2:
                day = self.rng.choice(self.days)
                self.add(
                    "security_info.backup_codes.generate", person, self.moment(day), by=person,
                    new={"replaced_previous": False},
                )  # fmt: skip

    def licenses(self, people, *, billing):
        """Licenses lent for a while: given to newcomers and contractors, taken back later.

        Each was assigned and unassigned before today, so today's counts (the
        Billing area's demo) stay as they are and the history leads up to them.
        """
        skus = [sub.product.sku for sub in live_subscriptions(tenant=self.tenant)]
        if not skus:
            return
        borrowers = people[-12:]
        for person in borrowers:
            sku = skus[0] if self.rng.random() < 0.8 else self.rng.choice(skus)
            first = self.rng.randrange(0, HISTORY_DAYS - 10)
            last = self.rng.randrange(first + 5, HISTORY_DAYS)
            product = {"product": sku}
            self.add(
                "billing.license.assign", person, self.moment(self.days[first], 9, 17),
                by=billing, new=product,
            )  # fmt: skip
            self.add(
                "billing.license.unassign", person, self.moment(self.days[last], 9, 17),
                by=billing, old=product,
            )  # fmt: skip
