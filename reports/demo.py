"""Demo history for the reports, added by ``manage.py seed_demo`` (idempotent).

Ninety days of what the demo organization's people did, written as the flows
write it to the audit log: sign-ins (mostly on weekdays, in office hours, a few
wrong passwords and now and then a lockout), self-service password resets, the
authenticator apps people registered over the weeks, and licenses that came and
went. The days are the organization's; a fixed seed makes every run draw the
same history (relative to today). Written with bulk inserts: ``seed_demo`` runs
in ``make run``.

The history agrees with what the portal shows today:

- Only ordinary users register security info, and each registration recorded
  is an authenticator app the person really has (made here, confirmed): the
  named demo accounts (admin@, user@, ...) have no method, so their first
  sign-in still leads to Security info. They sign in with a password only.
- Someone signs in with a second step only after registering their app, and a
  self-service reset is made with the app the person has.
- The license events lead up to today's assignments (the Billing area's demo,
  seeded before this one, assigns them today): "License use over time" rises
  from the products' first days to today's counts, and does not jump on the
  last day (see ``History.licenses``).

The Security center's sign-in log is filled from these events by its own demo
(``security_center.demo``), seeded after this one.
"""

import random
from collections import defaultdict
from datetime import datetime, time, timedelta

from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import lockout
from accounts.management.commands.seed_demo import DEMO_ACCOUNTS, demo_account
from accounts.models import AuditEvent, User
from billing.selectors import license_holders, live_subscriptions
from core.pagecache import organization_changed
from reports import selectors

HISTORY_DAYS = 90
SEED = 20
# The demo accounts and the first ordinary users: the people with a history.
PEOPLE = 48
USER = "accounts.user"
APP_NAME = "Authenticator app"
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
# How many people borrowed a license for a while.
LENDERS = 12
# The share of ordinary users who registered an authenticator app.
APP_SHARE = 0.55
NAMED = frozenset(account.username for account in DEMO_ACCOUNTS)


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
    history = draw(tenant, people, billing=demo_account(tenant, "billing"), today=today)
    AuditEvent.objects.bulk_create(history.events, batch_size=2000)
    _give_apps(history)
    # bulk_create skips the audit's own call: the reports are rendered afresh.
    organization_changed(tenant.pk)


def _give_apps(history):
    """Give those who registered an app in the history that app: confirmed, dated as drawn."""
    devices = [
        TOTPDevice(user=person, name=APP_NAME, confirmed=True)
        for person, _registered, _used in history.apps
    ]
    TOTPDevice.objects.bulk_create(devices)
    # auto_now_add stamped them now: the history says when each was added and last used.
    for device, (_person, registered, used) in zip(devices, history.apps, strict=True):
        device.created_at, device.last_used_at = registered, used
    TOTPDevice.objects.bulk_update(devices, ["created_at", "last_used_at"])


def draw(tenant, people, *, billing, today):
    """Return the demo's ``History`` for ``people`` (nothing saved): the same on every call."""
    zone = selectors.organization_zone(tenant)
    history = History(tenant, zone, today, random.Random(SEED))  # noqa: S311 - a demo's dice
    history.registrations(people)
    history.sign_ins(people)
    history.resets(people)
    history.licenses(people, billing=billing)
    return history


class History:
    """The demo's events, drawn day by day with ``rng``.

    ``events`` are the audit events (unsaved), ``apps`` the authenticator apps
    registered: (person, when registered, when last used).
    """

    def __init__(self, tenant, zone, today, rng):
        self.tenant, self.zone, self.today, self.rng = tenant, zone, today, rng
        self.days = [today - timedelta(days=n) for n in range(HISTORY_DAYS, 0, -1)]
        self.events = []
        self.held = {}  # sku -> licenses assigned at the end of each day, as drawn
        self.registered = {}  # person pk -> when their app was registered
        self.apps = []

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

    def with_app(self, person, when):
        """Return whether ``person`` had registered their app by ``when``."""
        registered = self.registered.get(person.pk)
        return registered is not None and registered < when

    def registrations(self, people):
        """Authenticator apps registered by ordinary users: most in the first month's campaign.

        The named demo accounts register nothing: their first sign-in leads to
        Security info, as the README says.
        """
        campaign = self.days[: HISTORY_DAYS // 3]
        later = self.days[: HISTORY_DAYS * 2 // 3]
        for person in people:
            if person.username in NAMED or self.rng.random() >= APP_SHARE:
                continue
            day = self.rng.choice(campaign if self.rng.random() < 0.7 else later)
            when = self.moment(day)
            self.registered[person.pk] = when
            self.add("security_info.app.add", person, when, by=person, new={"app": APP_NAME})

    def sign_ins(self, people):
        """Weekday sign-ins in office hours, some weekends; wrong passwords and a few locks.

        A second step only once the person has their app.
        """
        rng = self.rng
        habits = {
            person.pk: (
                rng.uniform(0.55, 0.95),  # how likely on a weekday
                (rng.choice(ADDRESSES), rng.choice(AGENTS)),  # their usual device
            )
            for person in people
        }
        last_used = {}
        for day in self.days:
            weekday = day.weekday() < 5
            for person in people:
                likely, seen = habits[person.pk]
                if rng.random() >= (likely if weekday else likely / 12):
                    continue
                when = self.moment(day, 7, 19) if weekday else self.moment(day, 9, 22)
                second = self.with_app(person, when)
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
                if second:
                    last_used[person.pk] = when
                if weekday and rng.random() < 0.15:  # back after lunch
                    later = when + timedelta(hours=rng.randint(3, 5), minutes=rng.randrange(60))
                    if later.date() == day:
                        self.add(
                            "signin.success", person, later, by=person,
                            new={"second_factor": second}, seen=seen,
                        )  # fmt: skip
                        if second:
                            last_used[person.pk] = later
            if rng.random() < (0.12 if weekday else 0.05):
                self.lockout(rng.choice(people), day)
        self.apps = [
            (person, self.registered[person.pk], last_used.get(person.pk))
            for person in people
            if person.pk in self.registered
        ]

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
        """Now and then someone resets a forgotten password with their app.

        People without a method get no further than the start (the page tells
        them to ask an admin); rarely someone tries too often in one day.
        """
        can_reset = self.tenant.reset_gates_for_users <= 1  # an app alone opens one gate
        for day in self.days:
            if day.weekday() >= 5 or self.rng.random() >= 0.35:
                continue
            person = self.rng.choice(people)
            when = self.moment(day, 7, 10)
            seen = (self.rng.choice(ADDRESSES), self.rng.choice(AGENTS))
            if not (can_reset and not person.is_admin and self.with_app(person, when)):
                self.add(
                    "password_reset.start", person, when, seen=seen,
                    new={"method": "email", "can_continue": False},
                )  # fmt: skip
                continue
            self.add(
                "password_reset.start", person, when, seen=seen,
                new={"method": "app", "can_continue": True},
            )  # fmt: skip
            self.add("password.reset_self", person, when + timedelta(minutes=2), seen=seen)
        for day in self.rng.sample(self.days, 2):  # tried too often in one day
            self.add("password_reset.blocked", self.rng.choice(people), self.moment(day))

    def licenses(self, people, *, billing):
        """Licenses that came and went, leading up to today's assignments without a jump.

        Billing's demo assigned today's licenses while seeding, so the audit log
        says they were assigned today, and audit events are never changed. For
        the days before to end where today begins, as many licenses as were
        assigned today were handed back just before: held since the product's
        first days by people who have none of it now. Other licenses were lent
        to newcomers and contractors for a while, never more at once than the
        subscription has.
        """
        subscriptions = list(live_subscriptions(tenant=self.tenant))
        if not subscriptions:
            return
        today_began = datetime.combine(self.today, time.min, tzinfo=self.zone)
        net_today, first_today = defaultdict(int), {}
        today_events = (
            AuditEvent.objects.for_tenant(self.tenant)
            .filter(
                action__in=[selectors.LICENSE_ASSIGN, selectors.LICENSE_UNASSIGN],
                created_at__gte=today_began,
            )
            .order_by("created_at", "id")
            .values_list("action", "new_values__product", "old_values__product", "created_at")
        )
        for action, assigned, unassigned, when in today_events:
            sku = assigned or unassigned
            net_today[sku] += 1 if action == selectors.LICENSE_ASSIGN else -1
            first_today.setdefault(sku, when)
        # Who held a license long before today: ordinary people first, the last ones first.
        candidates = [p for p in reversed(people) if p.username not in NAMED]
        candidates += [p for p in people if p.username in NAMED]
        lenders = {person.pk for person in candidates[:LENDERS]}
        self.held, starts, holders, bought = {}, {}, {}, {}
        for subscription in subscriptions:
            sku = subscription.product.sku
            holders[sku] = {
                lic.user_id
                for lic in license_holders(tenant=self.tenant, subscription=subscription)
            }
            bought[sku] = subscription.quantity
            starts[sku] = start = self.rng.randrange(5, HISTORY_DAYS // 2)
            # Today's holders assigned before today: counted all along, to stay within bought.
            before = max(len(holders[sku]) - net_today[sku], 0)
            level = self.held[sku] = [before] * HISTORY_DAYS
            handed_back = [
                person
                for person in candidates[LENDERS:] + candidates[:LENDERS]
                if person.pk not in holders[sku]
            ][: max(net_today[sku], 0)]
            until = first_today.get(sku, today_began)
            for number, person in enumerate(handed_back):
                lenders.discard(person.pk)
                # Half of them on the product's first day, the others over the weeks.
                first = start if number % 2 == 0 else self.rng.randrange(start, HISTORY_DAYS)
                for index in range(first, HISTORY_DAYS):
                    level[index] += 1
                back = max(until - timedelta(seconds=len(handed_back) - number), today_began)
                self.lease(person, sku, self.moment(self.days[first], 9, 17), back, by=billing)
        self.lend(people, lenders, starts, holders, bought, billing=billing)

    def lend(self, people, lenders, starts, holders, bought, *, billing):
        """Lend licenses to ``lenders`` for a while, as far as the subscriptions allow.

        Each was assigned and unassigned before today, after the product's first day.
        """
        skus = list(self.held)
        for person in people:
            if person.pk not in lenders:
                continue
            sku = skus[0] if self.rng.random() < 0.8 else self.rng.choice(skus)
            first = self.rng.randrange(starts[sku], HISTORY_DAYS - 10)
            last = self.rng.randrange(first + 5, HISTORY_DAYS)
            level = self.held[sku]
            if person.pk in holders[sku] or max(level[first:last]) >= bought[sku]:
                continue
            for index in range(first, last):  # held at the end of these days
                level[index] += 1
            self.lease(
                person,
                sku,
                self.moment(self.days[first], 9, 17),
                self.moment(self.days[last], 9, 17),
                by=billing,
            )

    def lease(self, person, sku, assigned, unassigned, *, by):
        """Add a license of ``sku`` assigned to ``person`` and unassigned later, by ``by``."""
        product = {"product": sku}
        self.add(selectors.LICENSE_ASSIGN, person, assigned, by=by, new=product)
        self.add(selectors.LICENSE_UNASSIGN, person, unassigned, by=by, old=product)
