"""Build the demo organization Contoso: one admin per role and many ordinary users.

Running the command again changes nothing that exists: it adds what is missing
(the ordinary users a larger ``--users`` asks for, a demo account someone removed
for good, an area's demo data) and leaves every existing account as it is, its
password, sessions, roles and state included. ``--reset-demo-accounts`` puts the
demo accounts back in a state where the printed password signs them in.
"""

import os
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from importlib import import_module
from itertools import islice
from operator import itemgetter

from django.apps import apps
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import connections, transaction
from django.utils import timezone
from django.utils.module_loading import module_has_submodule

from accounts.models import Domain, PartnerAccess, PartnerRelationship, User
from accounts.roles import (
    BILLING_ADMIN,
    GLOBAL_ADMIN,
    GLOBAL_READER,
    GROUPS_ADMIN,
    HELPDESK_ADMIN,
    REPORTS_READER,
    ROLES,
    SERVICE_SUPPORT_ADMIN,
    USER_ADMIN,
)
from accounts.services import role_assign, tenant_create

TENANT_NAME = "Contoso"
DOMAIN = "contoso.example"
# A partner that runs Contoso's helpdesk: its admins act in Contoso's admin center.
PARTNER_NAME = "Fabrikam Partners"
PARTNER_DOMAIN = "fabrikam.example"
PARTNER_ROLES = [USER_ADMIN, HELPDESK_ADMIN]
PASSWORD_ENV = "PORTAL_DEMO_PASSWORD"  # noqa: S105 (the variable\'s name)
DEFAULT_PASSWORD = "Contoso-Demo-2026"  # noqa: S105 (printed on purpose; refused without DEBUG)
BATCH_SIZE = 5000


@dataclass(frozen=True)
class DemoAccount:
    local: str
    role: str | None
    first_name: str
    last_name: str
    job_title: str
    department: str

    @property
    def username(self):
        return f"{self.local}@{DOMAIN}"


# The sign-in names the docs and the demo page print; admin@ comes first because
# tenant_create makes it the organization's first Global admin.
DEMO_ACCOUNTS = [
    DemoAccount("admin", GLOBAL_ADMIN, "Morgan", "Lee", "IT director", "IT"),
    DemoAccount("reader", GLOBAL_READER, "Priya", "Shah", "Security auditor", "Security"),
    DemoAccount("useradmin", USER_ADMIN, "Tom", "Becker", "Identity administrator", "IT"),
    DemoAccount("helpdesk", HELPDESK_ADMIN, "Samuel", "Okafor", "Helpdesk technician", "IT"),
    DemoAccount("groupsadmin", GROUPS_ADMIN, "Lena", "Novak", "Collaboration lead", "IT"),
    DemoAccount("billing", BILLING_ADMIN, "Carlos", "Ruiz", "Finance manager", "Finance"),
    DemoAccount("support", SERVICE_SUPPORT_ADMIN, "Hana", "Sato", "Service desk lead", "IT"),
    DemoAccount("reports", REPORTS_READER, "Olivia", "Brown", "Business analyst", "Operations"),
    DemoAccount("user", None, "Jan", "de Vries", "Sales representative", "Sales"),
]

FIRST_NAMES = [
    "Aaliyah", "Adele", "Ahmed", "Aiko", "Alejandro", "Alex", "Amara", "Ana", "Anders",
    "Anna", "Arjun", "Ben", "Bianca", "Bram", "Camille", "Chen", "Chloé", "Daniel",
    "Dara", "David", "Diego", "Elena", "Elif", "Emma", "Fatima", "Femke", "Finn",
    "Francesca", "Grace", "Hannah", "Hiroshi", "Ibrahim", "Ines", "Isabel", "Jamal",
    "Jana", "Javier", "Jin", "Joni", "José", "Julia", "Kai", "Kenji", "Lars", "Laura",
    "Leila", "Liam", "Lucas", "Maria", "Mateo", "Mei", "Mohammed", "Nadia", "Noah",
    "Nora", "Omar", "Pablo", "Pieter", "Rafael", "Ravi", "Rosa", "Ruth", "Sara",
    "Sofia", "Sven", "Tariq", "Thomas", "Wei", "Yara", "Yusuf", "Zoë",
]  # fmt: skip
LAST_NAMES = [
    "Adeyemi", "Andersson", "Bakker", "Banerjee", "Bauer", "Brown", "Castro", "Chen",
    "Cohen", "Costa", "Dijkstra", "Dubois", "Eriksen", "Fernández", "Fischer", "García",
    "Gómez", "Haddad", "Hansen", "Hoffmann", "Ito", "Jansen", "Johnson", "Kaya",
    "Khan", "Kim", "Kowalski", "Kumar", "Larsen", "Lefèvre", "Li", "Martin", "Meijer",
    "Mensah", "Müller", "Murphy", "Nakamura", "Nguyen", "Novak", "O'Brien", "Okafor",
    "Park", "Patel", "Peters", "Popescu", "Rossi", "Santos", "Schmidt", "Silva",
    "Singh", "Smith", "Suzuki", "Tanaka", "Visser", "Wang", "Williams", "Yilmaz",
    "Zhang",
]  # fmt: skip
# Each department with the job titles found in it.
DEPARTMENTS = [
    ("Sales", ["Account executive", "Sales representative", "Sales manager", "Sales engineer"]),
    ("Marketing", ["Marketing specialist", "Content strategist", "Brand manager"]),
    ("Finance", ["Accountant", "Financial analyst", "Controller", "Payroll specialist"]),
    ("Human resources", ["HR advisor", "Recruiter", "HR business partner"]),
    ("Engineering", ["Software engineer", "Senior software engineer", "QA engineer", "Architect"]),
    ("IT", ["Systems administrator", "Network engineer", "Service desk analyst"]),
    ("Operations", ["Operations manager", "Logistics coordinator", "Buyer"]),
    ("Legal", ["Legal counsel", "Paralegal", "Compliance officer"]),
    ("Customer service", ["Customer service agent", "Team lead", "Quality coordinator"]),
    ("Research", ["Research scientist", "Lab technician", "Data scientist"]),
]
OFFICES = ["Amsterdam", "Berlin", "Dublin", "Lisbon", "London", "Madrid", "Paris", "Remote"]


def _ascii_slug(name):
    """Return ``name`` as lower-case ASCII letters for a sign-in name (José -> jose)."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if c.isascii() and c.isalpha()).lower()


_FIRST = [(name, _ascii_slug(name)) for name in FIRST_NAMES]
_LAST = [(name, _ascii_slug(name)) for name in LAST_NAMES]
_TITLES = [(department, title) for department, titles in DEPARTMENTS for title in titles]


def demo_user_fields(i):
    """Return the sign-in name and profile of demo user number ``i``; always the same."""
    # Different strides for each list, so neighbours differ in every field.
    first, first_slug = _FIRST[(i * 7) % len(_FIRST)]
    last, last_slug = _LAST[(i * 11 + i // len(_FIRST)) % len(_LAST)]
    department, job_title = _TITLES[(i * 5) % len(_TITLES)]
    return {
        "username": f"{first_slug}.{last_slug}.{i:05d}@{DOMAIN}",
        "first_name": first,
        "last_name": last,
        "display_name": f"{first} {last}",
        "job_title": job_title,
        "department": department,
        "office": OFFICES[(i * 3) % len(OFFICES)],
    }


def demo_account(tenant, local):
    """Return ``tenant``'s demo account ``local``@ (a name of DEMO_ACCOUNTS, such as "admin").

    The areas' ``demo.seed`` use it to act as, or pick, a demo person; the
    accounts exist by the time the areas are seeded.
    """
    # By the unique sign-in name alone: with the tenant in the query as well,
    # SQLite (which has no statistics here) walks the tenant's 100,000 users.
    user = User.objects.select_related("tenant").get(username=f"{local}@{DOMAIN}")
    if user.tenant_id != tenant.pk or user.deleted_at is not None:
        raise User.DoesNotExist(f"{user.username} is no active user of {tenant}.")
    return user


def _chunks(iterable, size):
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _insert_rows(connection, table, columns, rows):
    """Insert ``rows`` (tuples ordered as ``columns``) into ``table``, without the ORM.

    bulk_create spends about 0.2 ms of Python per user on 20 columns (and on
    SQLite sends at most 999 parameters a statement): 20 s for 100,000 users.
    One prepared statement, or COPY on PostgreSQL, takes a few seconds.
    """
    quote = connection.ops.quote_name
    column_list = ", ".join(quote(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {quote(table)} ({column_list}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            # Fresh statistics, so the planner uses the indexes for the first requests
            # rather than waiting for autovacuum to notice 100,000 new rows.
            cursor.execute(f"ANALYZE {quote(table)}")
            return
        placeholders = ", ".join(["%s"] * len(columns))
        for chunk in _chunks(rows, BATCH_SIZE):
            cursor.executemany(
                f"INSERT INTO {quote(table)} ({column_list}) VALUES ({placeholders})",  # noqa: S608
                chunk,
            )


class Command(BaseCommand):
    help = (
        f"Build the demo organization {TENANT_NAME} ({DOMAIN}): one admin per role, user@ "
        "without a role, and --users ordinary users. Running it again adds what is missing and "
        f"changes nothing that exists. The demo password is {PASSWORD_ENV}, else "
        f"{DEFAULT_PASSWORD!r} (refused when DEBUG is off)."
    )
    requires_migrations_checks = True

    def add_arguments(self, parser):
        parser.add_argument(
            "--users",
            type=int,
            default=50,
            metavar="N",
            help="How many ordinary users (without password) the tenant should have (default 50).",
        )
        parser.add_argument(
            "--reset-demo-accounts",
            action="store_true",
            help=(
                "Give the demo accounts that exist the demo password and their role again, "
                "unblocked and undeleted. This signs them out wherever they are signed in."
            ),
        )

    def handle(self, *args, **options):
        count = options["users"]
        if count < 0:
            raise CommandError("--users must be 0 or more.")
        password = os.environ.get(PASSWORD_ENV)
        if not password:
            if not settings.DEBUG:
                raise CommandError(
                    f"Refusing to seed the demo with its well-known default password while DEBUG "
                    f"is off. Set {PASSWORD_ENV} to a password of your own."
                )
            password = DEFAULT_PASSWORD
        try:
            with transaction.atomic():
                tenant, created = self.ensure_tenant(password)
                kept = self.ensure_demo_accounts(
                    tenant, password, reset=options["reset_demo_accounts"]
                )
                added = self.add_users(tenant, count)
                self.seed_areas(tenant)
                self.ensure_partner(tenant, password)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.report(tenant, created, added, password, kept)

    def seed_areas(self, tenant):
        """Let each installed area add its demo data (its ``demo.seed(tenant=...)``).

        The areas are found by module name, as the admin finds ``admin`` modules,
        so this app imports none of them. An area that acts as a demo account
        someone deleted is left as it is, with a word about it.
        """
        for app_config in apps.get_app_configs():
            if module_has_submodule(app_config.module, "demo"):
                try:
                    with transaction.atomic():
                        import_module(f"{app_config.name}.demo").seed(tenant=tenant)
                except User.DoesNotExist as exc:
                    self.stdout.write(
                        self.style.WARNING(
                            f"Left the demo data of {app_config.verbose_name} as it is: {exc}"
                        )
                    )

    def ensure_partner(self, customer, password):
        """Make Fabrikam Partners, a partner with access to ``customer`` (once).

        partner@ is its Global admin; partnerdesk@ acts in Contoso as Helpdesk admin.
        Rows are written as they are, without the services: seeding tells nobody.
        """
        if Domain.objects.filter(name=PARTNER_DOMAIN).exists():
            return
        partner = tenant_create(
            name=PARTNER_NAME,
            domain=PARTNER_DOMAIN,
            admin_username=f"partner@{PARTNER_DOMAIN}",
            admin_password=password,
            country=settings.PORTAL_DEFAULT_COUNTRY,
            admin_display_name="Nina Patel",
        )
        partner.is_partner = True
        partner.require_mfa_for_admins = customer.require_mfa_for_admins
        partner.save(update_fields=["is_partner", "require_mfa_for_admins"])
        boss = User.objects.get(username=f"partner@{PARTNER_DOMAIN}")
        desk = User(
            tenant=partner,
            username=f"partnerdesk@{PARTNER_DOMAIN}",
            first_name="Ravi",
            last_name="Kumar",
            display_name="Ravi Kumar",
            job_title="Partner support engineer",
            department="Managed services",
        )
        desk.set_new_password(password)
        desk.full_clean()
        desk.save()
        role_assign(tenant=partner, user=desk, role=HELPDESK_ADMIN, acting_user=None)
        now = timezone.now()
        owner = User.objects.filter(username=DEMO_ACCOUNTS[0].username).first()
        relationship = PartnerRelationship.objects.create(
            partner=partner,
            customer=customer,
            roles=PARTNER_ROLES,
            days=365,
            status=PartnerRelationship.Status.ACTIVE,
            requested_by=boss,
            requested_at=now,
            decided_by=owner,
            decided_at=now,
            expires_at=now + timedelta(days=365),
        )
        PartnerAccess.objects.create(
            relationship=relationship, user=desk, roles=[HELPDESK_ADMIN], granted_by=boss
        )

    def ensure_tenant(self, password):
        """Return the demo tenant and whether it was made now (with admin@ as Global admin)."""
        domain = Domain.objects.select_related("tenant").filter(name=DOMAIN).first()
        if domain is not None:
            return domain.tenant, False
        admin = DEMO_ACCOUNTS[0]
        tenant = tenant_create(
            name=TENANT_NAME,
            domain=DOMAIN,
            admin_username=admin.username,
            admin_password=password,
            country=settings.PORTAL_DEFAULT_COUNTRY,
            admin_display_name=f"{admin.first_name} {admin.last_name}",
        )
        User.objects.filter(tenant=tenant, username=admin.username).update(
            first_name=admin.first_name,
            last_name=admin.last_name,
            job_title=admin.job_title,
            department=admin.department,
            usage_location=tenant.country.code,
        )
        return tenant, True

    def ensure_demo_accounts(self, tenant, password, *, reset=False):
        """Create the missing demo accounts with their roles; return the others by name.

        An account that exists is left as it is: someone may be signed in as it,
        have changed its password or blocked it. ``reset`` makes the demo
        password sign the existing accounts in again instead.
        """
        existing = {
            u.username: u
            for u in User.objects.filter(username__in=[a.username for a in DEMO_ACCOUNTS])
        }
        kept = {}
        for account in DEMO_ACCOUNTS:
            user = existing.get(account.username)
            if user is None:
                user = User(
                    tenant=tenant,
                    username=account.username,
                    first_name=account.first_name,
                    last_name=account.last_name,
                    display_name=f"{account.first_name} {account.last_name}",
                    job_title=account.job_title,
                    department=account.department,
                    usage_location=tenant.country.code,
                )
                password_validation.validate_password(password, user)
                user.set_new_password(password)
                user.full_clean()
                user.save()
            elif user.tenant_id != tenant.pk:
                raise CommandError(f"{account.username} belongs to another organization.")
            elif reset:
                self.restore_sign_in(user, password)
            else:
                kept[account.username] = user
                continue
            if account.role is not None:
                role_assign(tenant=tenant, user=user, role=account.role, acting_user=None)
        return kept

    def restore_sign_in(self, user, password):
        """Undo what would stop the printed password from signing ``user`` in."""
        changed = []
        # check_password costs as much as hashing, but keeps a second run from
        # rewriting every hash with a new salt.
        if not user.check_password(password):
            password_validation.validate_password(password, user)
            user.set_new_password(password)
            changed += ["password", "password_changed_at"]
        for field, value in [
            ("is_active", True),
            ("is_sign_in_blocked", False),
            ("must_change_password", False),
            ("deleted_at", None),
        ]:
            if getattr(user, field) != value:
                setattr(user, field, value)
                changed.append(field)
        if changed:
            user.save(update_fields=changed)

    def add_users(self, tenant, count):
        """Create the ordinary users 1..``count`` that do not exist yet; return how many."""
        existing = set(User.objects.filter(tenant=tenant).values_list("username", flat=True))
        missing = [
            fields
            for fields in map(demo_user_fields, range(1, count + 1))
            if fields["username"] not in existing
        ]
        if not missing:
            return 0
        connection = connections[User.objects.db]
        model_fields = [f for f in User._meta.concrete_fields if not f.primary_key]
        # What every row shares, prepared for the database once: one unusable
        # password hash (nobody signs in as these users before an admin resets
        # their password), the tenant, and each other field's default. The
        # generated names are valid sign-in names of the tenant's domain by
        # construction, and plain strings need no preparation.
        shared = {
            "tenant": tenant.pk,
            "password": make_password(None),
            "usage_location": tenant.country.code,
            "date_joined": timezone.now(),
        }
        shared = {
            f.name: f.get_db_prep_save(shared.get(f.name, f.get_default()), connection)
            for f in model_fields
            if f.name not in missing[0]
        }
        row_of = itemgetter(*(f.name for f in model_fields))
        rows = (row_of(shared | fields) for fields in missing)
        _insert_rows(connection, User._meta.db_table, [f.column for f in model_fields], rows)
        return len(missing)

    def report(self, tenant, created, added, password, kept):
        state = "Created" if created else "Found"
        self.stdout.write(
            self.style.SUCCESS(
                f"{state} demo organization {tenant.name} ({DOMAIN}); added {added:,} users."
            )
        )
        rows = [("Sign-in name", "Role", "Password")]
        unusable = False
        for account in DEMO_ACCOUNTS:
            role = ROLES[account.role].name if account.role else "(no role)"
            shown = self.password_shown(kept.get(account.username), password)
            unusable |= shown != password
            rows.append((account.username, str(role), shown))
        widths = [max(len(row[col]) for row in rows) for col in range(3)]
        for n, row in enumerate(rows):
            line = "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
            self.stdout.write(line.rstrip())
            if n == 0:
                self.stdout.write("  ".join("-" * w for w in widths))
        if unusable:
            self.stdout.write(
                "Accounts changed since the demo was built are left as they are; "
                "--reset-demo-accounts gives them the demo password again."
            )
        total = User.objects.for_tenant(tenant).active().count()
        self.stdout.write(f"Users in {tenant.name}: {total:,}")
        self.stdout.write(
            f"Partner {PARTNER_NAME}: partner@{PARTNER_DOMAIN} (Global admin) and "
            f"partnerdesk@{PARTNER_DOMAIN} (acts in {tenant.name} as Helpdesk admin), "
            "same password."
        )

    @staticmethod
    def password_shown(user, password):
        """Return what the report says of an account's password: the demo one, if it still works."""
        if user is None:
            return password
        if user.deleted_at is not None:
            return "(deleted)"
        if user.is_sign_in_blocked or not user.is_active:
            return "(blocked)"
        # The hasher's check alone: User.check_password would upgrade an old hash.
        return password if check_password(password, user.password) else "(changed)"
