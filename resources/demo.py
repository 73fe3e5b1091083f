"""Demo data of the Resources area, added by ``manage.py seed_demo`` (idempotent)."""

from accounts import addresses
from accounts.management.commands.seed_demo import DOMAIN, demo_account
from resources import services
from resources.models import Resource

ROOM, EQUIPMENT = Resource.Kind.ROOM, Resource.Kind.EQUIPMENT
RESOURCES = [
    {
        "local_part": "boardroom",
        "kind": ROOM,
        "name": "Boardroom",
        "capacity": 14,
        "location": "Amsterdam, 5th floor",
        "booking_policy": "Ask the office manager before booking it for more than half a day.",
    },
    {
        "local_part": "focusroom214",
        "kind": ROOM,
        "name": "Focus room 2.14",
        "capacity": 4,
        "location": "Amsterdam, 2nd floor",
        "booking_policy": "For calls and focused work: at most two hours at a time.",
    },
    {
        "local_part": "training.berlin",
        "kind": ROOM,
        "name": "Training room Berlin",
        "capacity": 24,
        "location": "Berlin, ground floor",
        "booking_policy": "",
    },
    {
        "local_part": "huddle.dublin",
        "kind": ROOM,
        "name": "Huddle room Dublin",
        "capacity": 6,
        "location": "Dublin, 1st floor",
        "booking_policy": "",
    },
    {
        "local_part": "projector",
        "kind": EQUIPMENT,
        "name": "Portable projector",
        "capacity": None,
        "location": "Amsterdam, IT desk",
        "booking_policy": "Bring it back to the IT desk the same day.",
    },
    {
        "local_part": "poolcar",
        "kind": EQUIPMENT,
        "name": "Pool car (electric)",
        "capacity": None,
        "location": "Amsterdam, car park level -1",
        "booking_policy": "For business trips only. Plug it in to charge when you return it.",
    },
]


def seed(*, tenant):
    """Add the demo rooms and equipment whose addresses are still free."""
    admin = demo_account(tenant, "useradmin")
    for fields in RESOURCES:
        # The resource itself from an earlier run, or a user's or group's address.
        if addresses.in_use(f"{fields['local_part']}@{DOMAIN}"):
            continue
        services.resource_save(tenant=tenant, acting_user=admin, domain=DOMAIN, **fields)
