"""The Users area's demo data: one deleted user, restorable."""

import io

import pytest
from django.core.management import call_command

from accounts.models import AuditEvent, Tenant, User
from users import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def seed(settings, monkeypatch):
    settings.DEBUG = True
    monkeypatch.delenv("PORTAL_DEMO_PASSWORD", raising=False)

    def run(users=5):
        call_command("seed_demo", users=users, stdout=io.StringIO())
        return Tenant.objects.get(domain__name="contoso.example")

    return run


def test_one_deleted_user_that_can_be_restored(seed):
    tenant = seed()
    [deleted] = User.objects.for_tenant(tenant).deleted()
    assert deleted.deleted_username == "noor.visser@contoso.example"
    assert not deleted.has_usable_password()
    assert AuditEvent.objects.filter(action="user.delete", target_id=str(deleted.pk)).exists()
    admin = User.objects.get(username="useradmin@contoso.example")

    services.user_restore(
        tenant=tenant, acting_user=admin, user=deleted, username=deleted.deleted_username
    )

    deleted.refresh_from_db()
    assert deleted.deleted_at is None and deleted.username == "noor.visser@contoso.example"


def test_a_second_run_adds_nothing(seed):
    seed()
    before = (User.objects.count(), AuditEvent.objects.filter(action__startswith="user.").count())

    seed()

    assert (
        User.objects.count(),
        AuditEvent.objects.filter(action__startswith="user.").count(),
    ) == before


def test_no_user_is_deleted_when_the_organization_has_deleted_users(seed):
    tenant = seed()
    User.objects.for_tenant(tenant).deleted().delete()
    other = User.objects.get(username__endswith=".00001@contoso.example")
    User.objects.filter(pk=other.pk).update(deleted_at=other.date_joined)

    seed()

    assert list(User.objects.for_tenant(tenant).deleted()) == [other]


def test_a_restored_leaver_is_deleted_again_when_nobody_else_is_deleted(seed):
    tenant = seed()
    admin = User.objects.get(username="useradmin@contoso.example")
    deleted = User.objects.for_tenant(tenant).deleted().get()
    services.user_restore(
        tenant=tenant, acting_user=admin, user=deleted, username=deleted.deleted_username
    )
    count = User.objects.count()

    seed()

    assert User.objects.count() == count
    assert User.objects.for_tenant(tenant).deleted().get().pk == deleted.pk
