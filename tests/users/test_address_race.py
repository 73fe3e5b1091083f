"""Two creates of one address at once (a user and a group, two users, a user and a room).

Needs PostgreSQL: SQLite has no concurrent writers to race.

Each request is held after it has checked that the address is free and saved
its user, group or room, just before it claims the address, until the other
has got as far (or for at most HOLD_SECONDS, when the other waits on a lock).
Both have then found the address free. Without the one table of claims both
would commit, and the address would belong to two holders, every run; with it
the database refuses the second claim and that request rolls back.
"""

import contextlib
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from accounts import addresses
from accounts.models import AddressClaim, User
from accounts.roles import GLOBAL_ADMIN
from groups import services as group_services
from groups.models import Group
from resources import services as resource_services
from resources.models import Resource
from tests.factories import make_tenant, make_user
from tests.helpers import run_together
from users import services as user_services

# How long a request that has saved waits for the other. Only reached when the
# other is (rightly) waiting on a lock; never asserted on.
HOLD_SECONDS = 2

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs concurrent writers (run with DATABASE_URL=postgres://...)",
    ),
]


@pytest.fixture
def org():
    tenant = make_tenant()
    admin = make_user(tenant, "admin", roles=[GLOBAL_ADMIN])
    return tenant, admin, tenant.domain_set.get().name


@pytest.fixture
def held(monkeypatch):
    """Hold each request just before it inserts its claim, until both have checked and saved."""
    barrier = threading.Barrier(2)

    insert = addresses._insert

    def held_insert(claim):
        # Broken: the other request waits on a lock, so go on.
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=HOLD_SECONDS)
        return insert(claim)

    monkeypatch.setattr(addresses, "_insert", held_insert)


def _admin(admin):
    return User.objects.select_related("tenant").get(pk=admin.pk)


def _user(tenant, admin, local, domain):
    def work():
        user, _password = user_services.user_create(
            tenant=tenant,
            acting_user=_admin(admin),
            username=f"{local}@{domain}",
            display_name=local.title(),
        )
        return user

    return work


def _group(tenant, admin, local, domain):
    def work():
        return group_services.group_create(
            tenant=tenant,
            acting_user=_admin(admin),
            kind="distribution",
            name=local.title(),
            email=f"{local}@{domain}",
        )

    return work


def _room(tenant, admin, local, domain):
    def work():
        return resource_services.resource_save(
            tenant=tenant,
            acting_user=_admin(admin),
            local_part=local,
            domain=domain,
            kind="room",
            name=local.title(),
            capacity=None,
            location="",
            booking_policy="",
        )

    return work


TAKEN = (
    "is taken. Choose another sign-in name.",
    "That sign-in name was just taken.",
    "is in use by a user or a group.",
    "is in use by a user, a group or a resource.",
    "That address was just taken.",
)


def _holders(address):
    return (
        User.objects.filter(username=address).count()
        + Group.objects.filter(email=address).count()
        + Resource.objects.filter(email=address).count()
    )


@pytest.mark.parametrize(
    ("one", "other"),
    [(_user, _group), (_group, _user), (_user, _user), (_user, _room), (_group, _room)],
    ids=["user-group", "group-user", "user-user", "user-room", "group-room"],
)
def test_of_two_creates_of_one_address_at_once_exactly_one_wins(org, held, one, other):
    tenant, admin, domain = org
    address = f"sales@{domain}"

    results = run_together(
        one(tenant, admin, "sales", domain), other(tenant, admin, "sales", domain)
    )

    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(refused) == 1, results
    assert any(text in message for message in refused[0].messages for text in TAKEN), refused
    assert not any(isinstance(r, Exception) and r is not refused[0] for r in results), results
    winner = next(r for r in results if not isinstance(r, Exception))
    assert _holders(address) == 1
    claim = AddressClaim.objects.get(address=address)
    assert (claim.owner_type.model_class(), claim.owner_id) == (type(winner), winner.pk)
