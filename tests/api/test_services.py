"""API clients' services: secrets that work, stop working and are told about."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import AuditEvent, Tenant
from accounts.roles import (
    GLOBAL_ADMIN,
    GLOBAL_READER,
    GROUPS_ADMIN,
    HELPDESK_ADMIN,
    USER_ADMIN,
)
from api.models import ApiClient
from api.services import (
    api_client_create,
    api_client_revoke,
    api_client_rotate,
    client_for_secret,
)
from core.exceptions import Forbidden
from tests.factories import make_user
from tests.helpers import Clock

pytestmark = pytest.mark.django_db


def create(tenant, acting_user=None, name="HR sync", roles=(USER_ADMIN,), **kwargs):
    return api_client_create(
        tenant=tenant, acting_user=acting_user, name=name, roles=list(roles), **kwargs
    )


def codes(error):
    """Return {field: [codes]} of a ValidationError with a dict."""
    return {name: [item.code for item in items] for name, items in error.error_dict.items()}


# --- create ----------------------------------------------------------------------


def test_a_new_clients_secret_finds_it(tenant, admin):
    client, secret = create(tenant, admin, roles=[HELPDESK_ADMIN, USER_ADMIN], days=30)

    assert client_for_secret(secret) == client
    assert client.roles == [USER_ADMIN, HELPDESK_ADMIN]  # the role table's order
    assert client.created_by == admin
    assert timedelta(days=29) < client.expires_at - client.created_at <= timedelta(days=30)
    # Only the hash is kept.
    assert secret not in {client.secret_hash, client.previous_secret_hash, client.key_id}
    assert client.key_id in secret


def test_the_name_is_tidied(tenant):
    client, _secret = create(tenant, name="  HR \t  sync  ")
    assert client.name == "HR sync"


def test_create_is_audited_and_told_to_the_global_admins(
    tenant, admin, django_capture_on_commit_callbacks
):
    other_admin = make_user(tenant, "second", roles=[GLOBAL_ADMIN])
    make_user(tenant, "reader", roles=[GLOBAL_READER])

    with django_capture_on_commit_callbacks(execute=True):
        client, secret = create(tenant, admin)

    event = AuditEvent.objects.get(action="api_client.create")
    assert (event.tenant, event.actor, event.target_id) == (tenant, admin, str(client.pk))
    assert event.new_values["roles"] == [USER_ADMIN]
    assert secret not in str(event.new_values)
    [notice] = mail.outbox
    assert sorted(notice.to) == sorted([admin.username, other_admin.username])
    assert "HR sync" in notice.body and "User admin" in notice.body
    assert secret not in notice.body
    assert "/settings/api/" in notice.body


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"name": ""}, "name", "required"),
        ({"name": " \n "}, "name", "required"),
        ({"name": "x" * 101}, "name", "max_length"),
        ({"roles": []}, "roles", "no_role"),
        ({"roles": ["pope"]}, "roles", "unknown_role"),
        ({"roles": [GLOBAL_ADMIN]}, "roles", "confirm_global_admin"),
        ({"days": 0}, "days", "days"),
        ({"days": 731}, "days", "days"),
        ({"days": "30"}, "days", "days"),
        ({"days": True}, "days", "days"),
    ],
)
def test_create_refuses_bad_input(tenant, admin, changes, field, code):
    with pytest.raises(ValidationError) as caught:
        create(tenant, admin, **changes)

    assert codes(caught.value)[field] == [code]
    assert not ApiClient.objects.exists()
    assert not AuditEvent.objects.filter(action="api_client.create").exists()


def test_a_confirmed_global_admin_client_is_made(tenant, admin):
    client, _secret = create(tenant, admin, roles=[GLOBAL_ADMIN], global_admin_confirmed=True)
    assert client.roles == [GLOBAL_ADMIN]


def test_the_name_is_unique_among_active_clients(tenant, other_tenant, admin):
    first, _secret = create(tenant, admin, name="HR sync")

    with pytest.raises(ValidationError) as caught:
        create(tenant, admin, name="hr SYNC")
    assert codes(caught.value) == {"name": ["unique"]}

    # Another organization may use the name, and so may we once the first is revoked.
    create(other_tenant, name="HR sync")
    api_client_revoke(tenant=tenant, acting_user=admin, client=first)
    again, _secret = create(tenant, admin, name="HR sync")
    assert again.pk != first.pk


@pytest.mark.parametrize("role", [GLOBAL_READER, USER_ADMIN, HELPDESK_ADMIN, GROUPS_ADMIN])
def test_only_a_global_admin_manages_clients(tenant, role):
    user = make_user(tenant, roles=[role])
    client, _secret = create(tenant)

    with pytest.raises(Forbidden):
        create(tenant, user, name="Other")
    with pytest.raises(Forbidden):
        api_client_rotate(tenant=tenant, acting_user=user, client=client)
    with pytest.raises(Forbidden):
        api_client_revoke(tenant=tenant, acting_user=user, client=client)

    assert issubclass(Forbidden, PermissionDenied)  # answered with 403
    client.refresh_from_db()
    assert client.rotated_at is None and client.revoked_at is None
    assert ApiClient.objects.count() == 1


def test_a_global_admin_of_another_organization_is_refused(tenant, other_tenant):
    theirs = make_user(other_tenant, roles=[GLOBAL_ADMIN])
    client, _secret = create(tenant)

    with pytest.raises(Forbidden):
        create(tenant, theirs, name="Other")
    with pytest.raises(Forbidden):
        api_client_rotate(tenant=other_tenant, acting_user=theirs, client=client)
    with pytest.raises(Forbidden):
        api_client_revoke(tenant=other_tenant, acting_user=theirs, client=client)


# --- rotate ----------------------------------------------------------------------


def test_the_old_secret_works_during_the_grace_period_only(tenant, admin, monkeypatch):
    client, old = create(tenant, admin)
    clock = Clock.install(monkeypatch)

    new = api_client_rotate(tenant=tenant, acting_user=admin, client=client, grace_hours=24)

    assert new != old
    assert client_for_secret(new) == client
    assert client_for_secret(old) == client
    clock.advance(hours=23, minutes=59)
    assert client_for_secret(old) == client
    clock.advance(minutes=2)
    assert client_for_secret(old) is None
    assert client_for_secret(new) == client


def test_without_grace_the_old_secret_stops_at_once(tenant, admin):
    client, old = create(tenant, admin)

    new = api_client_rotate(tenant=tenant, acting_user=admin, client=client, grace_hours=0)

    assert client_for_secret(old) is None
    assert client_for_secret(new) == client


def test_a_second_rotation_ends_the_first_secret(tenant, admin):
    client, first = create(tenant, admin)
    second = api_client_rotate(tenant=tenant, acting_user=admin, client=client, grace_hours=24)

    third = api_client_rotate(tenant=tenant, acting_user=admin, client=client, grace_hours=24)

    assert client_for_secret(first) is None
    assert client_for_secret(second) == client
    assert client_for_secret(third) == client


def test_rotate_is_audited_and_told(tenant, admin, django_capture_on_commit_callbacks):
    client, _secret = create(tenant, admin)

    with django_capture_on_commit_callbacks(execute=True):
        api_client_rotate(tenant=tenant, acting_user=admin, client=client, grace_hours=72)

    event = AuditEvent.objects.get(action="api_client.rotate")
    assert (event.actor, event.target_id, event.new_values) == (
        admin,
        str(client.pk),
        {"grace_hours": 72},
    )
    assert "72 more hours" in mail.outbox[-1].body


@pytest.mark.parametrize("hours", [-1, 169, "24", None, True])
def test_rotate_refuses_a_grace_period_out_of_range(tenant, admin, hours):
    client, old = create(tenant, admin)

    with pytest.raises(ValidationError) as caught:
        api_client_rotate(tenant=tenant, acting_user=admin, client=client, grace_hours=hours)

    assert codes(caught.value) == {"grace_hours": ["grace_hours"]}
    assert client_for_secret(old) == client


def test_a_revoked_or_expired_client_is_not_rotated(tenant, admin, monkeypatch):
    revoked, _secret = create(tenant, admin, name="Revoked")
    api_client_revoke(tenant=tenant, acting_user=admin, client=revoked)
    with pytest.raises(ValidationError) as caught:
        api_client_rotate(tenant=tenant, acting_user=admin, client=revoked)
    assert caught.value.code == "revoked"

    expiring, _secret = create(tenant, admin, name="Short", days=1)
    Clock.install(monkeypatch).advance(days=1, seconds=1)
    with pytest.raises(ValidationError) as caught:
        api_client_rotate(tenant=tenant, acting_user=admin, client=expiring)
    assert caught.value.code == "expired"
    assert not AuditEvent.objects.filter(action="api_client.rotate").exists()


# --- revoke ----------------------------------------------------------------------


def test_a_revoked_clients_secrets_are_refused_at_once(
    tenant, admin, django_capture_on_commit_callbacks
):
    client, old = create(tenant, admin)
    new = api_client_rotate(tenant=tenant, acting_user=admin, client=client, grace_hours=24)

    with django_capture_on_commit_callbacks(execute=True):
        api_client_revoke(tenant=tenant, acting_user=admin, client=client)

    assert client_for_secret(new) is None
    assert client_for_secret(old) is None
    event = AuditEvent.objects.get(action="api_client.revoke")
    assert (event.actor, event.target_id) == (admin, str(client.pk))
    assert "revoked" in mail.outbox[-1].subject


def test_revoking_twice_is_refused(tenant, admin):
    client, _secret = create(tenant, admin)
    api_client_revoke(tenant=tenant, acting_user=admin, client=client)

    with pytest.raises(ValidationError) as caught:
        api_client_revoke(tenant=tenant, acting_user=admin, client=client)

    assert caught.value.code == "revoked"
    assert AuditEvent.objects.filter(action="api_client.revoke").count() == 1


# --- client_for_secret -------------------------------------------------------------


def test_an_expired_clients_secret_is_refused(tenant, monkeypatch):
    client, secret = create(tenant, days=1)
    clock = Clock.install(monkeypatch)
    clock.advance(hours=23)
    assert client_for_secret(secret) == client
    clock.advance(hours=1, seconds=1)
    assert client_for_secret(secret) is None


def test_a_suspended_organizations_client_is_refused(tenant):
    client, secret = create(tenant)
    Tenant.objects.filter(pk=tenant.pk).update(status=Tenant.Status.SUSPENDED)
    assert client_for_secret(secret) is None
    Tenant.objects.filter(pk=tenant.pk).update(status=Tenant.Status.ACTIVE)
    assert client_for_secret(secret) == client


def test_a_wrong_or_malformed_secret_is_refused(tenant):
    client, secret = create(tenant)
    prefix, key_id, random_part = secret.split("_")
    for wrong in [
        f"{prefix}_{key_id}_{random_part[:-1]}{'A' if random_part[-1] != 'A' else 'B'}",
        f"{prefix}_{key_id}_",
        f"{prefix}_{key_id}",
        f"other_{key_id}_{random_part}",
        f"{prefix}_{'0' * 16}_{random_part}",
        f"{prefix}__{random_part}",
        secret + "_more",
        secret + "x" * 200,
        "",
        "Bearer " + secret,
        secret.upper(),
    ]:
        assert client_for_secret(wrong) is None, wrong
    assert client_for_secret(None) is None
    assert client_for_secret(secret) == client


def test_the_last_use_is_written_at_most_once_a_minute(tenant, monkeypatch):
    client, secret = create(tenant)
    clock = Clock.install(monkeypatch)
    client_for_secret(secret, address="192.0.2.1")
    client.refresh_from_db()
    assert (client.last_used_at, client.last_used_address) == (clock.now, "192.0.2.1")

    with CaptureQueriesContext(connection) as queries:
        client_for_secret(secret, address="192.0.2.1")
    assert len(queries) == 1  # the read only

    clock.advance(minutes=1)
    client_for_secret(secret, address="192.0.2.1")
    client.refresh_from_db()
    assert client.last_used_at == clock.now


@pytest.mark.parametrize(
    "secret", ["portal_a\x00b_c", "portal_\x00_x", "portal_0123456789abcde\x00_x"]
)
def test_a_secret_with_a_nul_character_finds_no_client(secret):
    assert client_for_secret(secret) is None


@given(text=st.text(max_size=300))
def test_any_text_finds_no_client_and_never_raises(text):
    assert client_for_secret(text) is None


@given(key_id=st.text(max_size=30), rest=st.text(max_size=60))
def test_any_text_shaped_like_a_secret_finds_no_client(key_id, rest):
    assert client_for_secret(f"portal_{key_id}_{rest}") is None
