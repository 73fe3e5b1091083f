"""Demo data of the Groups area, added by ``manage.py seed_demo`` (idempotent).

A group of every kind, owned by demo accounts, with members among the first
users; "Sales department" follows a membership rule, and "Office move" is
deleted and can be restored.
"""

from dataclasses import dataclass

from accounts import addresses
from accounts.management.commands.seed_demo import DOMAIN, demo_account
from accounts.models import User
from groups import services
from groups.models import Group, Kind, Privacy


@dataclass(frozen=True)
class DemoGroup:
    name: str
    kind: str
    local: str  # the address's part before the @; "" for a security group
    description: str
    owners: list  # demo account names, such as "admin"
    members: tuple = ()  # (department or None for anyone, how many of the first users)
    privacy: str = ""
    allow_external_senders: bool = False
    rule: dict | None = None
    deleted: bool = False


GROUPS = [
    DemoGroup(
        "All staff",
        Kind.DISTRIBUTION,
        "allstaff",
        "News from the management team and HR for everyone at Contoso.",
        owners=["admin"],
        members=(None, 40),
    ),
    DemoGroup(
        "Sales team",
        Kind.TEAM,
        "salesteam",
        "Pipeline reviews, proposals and the sales calendar.",
        owners=["user", "groupsadmin"],
        members=("Sales", 12),
        privacy=Privacy.PUBLIC,
    ),
    DemoGroup(
        "Sales department",
        Kind.DISTRIBUTION,
        "sales",
        "Reaches everyone in Sales; customers may write to it.",
        owners=["user"],
        allow_external_senders=True,
        rule={"field": "department", "op": "equals", "value": "Sales"},
    ),
    DemoGroup(
        "Finance security",
        Kind.MAIL_SECURITY,
        "finance",
        "Opens the finance share and the payroll app to its members.",
        owners=["billing"],
        members=("Finance", 8),
    ),
    DemoGroup(
        "IT admins",
        Kind.SECURITY,
        "",
        "Administrators of the organization's laptops, phones and servers.",
        owners=["admin"],
        members=("IT", 10),
    ),
    DemoGroup(
        "Customer service mailbox",
        Kind.SHARED_MAILBOX,
        "help",
        "The address customers write to; the customer service team answers from it.",
        owners=["support"],
        members=("Customer service", 6),
    ),
    DemoGroup(
        "Office move",
        Kind.TEAM,
        "officemove",
        "Planning the move to the new Amsterdam office. The move is done.",
        owners=["admin"],
        members=("Operations", 5),
        privacy=Privacy.PRIVATE,
        deleted=True,
    ),
]


def seed(*, tenant):
    """Create the demo groups that do not exist yet, then bring rule-based groups up to date."""
    admin = demo_account(tenant, "groupsadmin")
    existing = set(Group.objects.for_tenant(tenant).values_list("name", flat=True))
    rule_groups = (
        Group.objects.for_tenant(tenant)
        .filter(deleted_at__isnull=True, membership_rule__isnull=False)
        .exists()
    )
    for spec in GROUPS:
        email = f"{spec.local}@{DOMAIN}" if spec.local else ""
        # An address someone took while trying the demo stays theirs.
        if spec.name in existing or (email and addresses.in_use(email)):
            continue
        group = services.group_create(
            tenant=tenant,
            acting_user=admin,
            kind=spec.kind,
            name=spec.name,
            description=spec.description,
            email=email,
            privacy=spec.privacy,
            allow_external_senders=spec.allow_external_senders,
            owners=[demo_account(tenant, local) for local in spec.owners],
            members=_first_users(tenant, *spec.members) if spec.members else [],
        )
        if spec.rule:
            services.group_rule_set(tenant=tenant, acting_user=admin, group=group, rule=spec.rule)
        if spec.deleted:
            services.groups_delete(tenant=tenant, acting_user=admin, groups=[group])
    if rule_groups:
        # The command adds users without the services: no rule has seen them
        # yet. (A rule group made just now was synced when its rule was set.)
        services.dynamic_groups_sync_tenant(tenant)


def _first_users(tenant, department, count):
    """Return the first ``count`` active users (by id), of ``department`` if given."""
    users = User.objects.for_tenant(tenant).active()
    if department:
        users = users.filter(department=department)
    return list(users.order_by("pk")[:count])
