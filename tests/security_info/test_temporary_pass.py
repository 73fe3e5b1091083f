"""Temporary access pass: one sign-in without the second factor, then Security info."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.roles import GLOBAL_ADMIN, HELPDESK_ADMIN, USER_ADMIN
from core.exceptions import Forbidden
from security_info import services
from security_info.models import TemporaryPassDevice
from tests.factories import PASSWORD, make_user
from tests.helpers import make_phone

pytestmark = pytest.mark.django_db


def test_pass_signs_in_once_in_place_of_the_second_factor(client, tenant):
    user = make_user(tenant)
    make_phone(user)  # the phone is lost, but it makes sign-in ask for a second factor
    helpdesk = make_user(tenant, roles=[HELPDESK_ADMIN])
    token = services.temporary_pass_issue(user=user, acting_user=helpdesk, hours=2)
    device = TemporaryPassDevice.objects.get(user=user)
    assert token not in device.pass_hash

    client.post("/signin/", {"username": user.username, "password": PASSWORD})
    response = client.post(
        "/signin/verify/", {"otp_device": device.persistent_id, "otp_token": token}
    )
    assert response.status_code == 302
    # Straight to Security info to register new methods.
    assert client.get("/").url == "/security-info/"
    user.refresh_from_db()
    assert user.must_register_methods
    assert AuditEvent.objects.filter(action="security_info.temporary_pass.use").count() == 1

    device.refresh_from_db()
    assert device.used_at is not None
    assert not device.verify_token(token)  # single use


def test_expired_pass_does_not_work_and_is_not_offered(tenant):
    user = make_user(tenant)
    token = services.temporary_pass_issue(
        user=user, acting_user=make_user(tenant, roles=[USER_ADMIN]), hours=1
    )
    TemporaryPassDevice.objects.filter(user=user).update(
        valid_until=timezone.now() - timedelta(seconds=1)
    )
    device = TemporaryPassDevice.objects.get(user=user)
    assert not device.verify_token(token)
    assert not TemporaryPassDevice.objects.devices_for_user(user, confirmed=True).exists()


def test_only_a_global_admin_issues_a_pass_to_an_admin(tenant):
    target = make_user(tenant, roles=[HELPDESK_ADMIN])
    with pytest.raises(Forbidden):
        services.temporary_pass_issue(
            user=target, acting_user=make_user(tenant, roles=[HELPDESK_ADMIN]), hours=1
        )
    assert services.temporary_pass_issue(
        user=target, acting_user=make_user(tenant, roles=[GLOBAL_ADMIN]), hours=1
    )


def test_pass_needs_the_right_to_reset_and_1_to_8_hours(tenant):
    target = make_user(tenant)
    with pytest.raises(Forbidden):
        services.temporary_pass_issue(user=target, acting_user=make_user(tenant), hours=1)
    with pytest.raises(ValidationError) as hours:
        services.temporary_pass_issue(
            user=target, acting_user=make_user(tenant, roles=[GLOBAL_ADMIN]), hours=9
        )
    assert hours.value.code == "invalid_hours"


def test_issuing_is_audited_and_a_new_pass_replaces_the_old(tenant):
    target = make_user(tenant)
    admin = make_user(tenant, roles=[GLOBAL_ADMIN])
    first = services.temporary_pass_issue(user=target, acting_user=admin, hours=1)
    services.temporary_pass_issue(user=target, acting_user=admin, hours=8)
    assert TemporaryPassDevice.objects.filter(user=target).count() == 1
    assert not TemporaryPassDevice.objects.get(user=target).verify_token(first)
    assert AuditEvent.objects.filter(action="security_info.temporary_pass.issue").count() == 2


def test_expiry_job_audits_unused_passes_and_removes_spent_ones(tenant):
    import io

    from django.core.management import call_command

    issuer = make_user(tenant, roles=[HELPDESK_ADMIN])
    unused, used, current = make_user(tenant), make_user(tenant), make_user(tenant)
    for user in (unused, used, current):
        services.temporary_pass_issue(user=user, acting_user=issuer, hours=1)
    past = timezone.now() - timedelta(minutes=1)
    TemporaryPassDevice.objects.filter(user__in=[unused, used]).update(valid_until=past)
    TemporaryPassDevice.objects.filter(user=used).update(used_at=past - timedelta(minutes=5))

    call_command("expire_temporary_passes", stdout=io.StringIO())

    assert list(TemporaryPassDevice.objects.values_list("user", flat=True)) == [current.pk]
    expired = AuditEvent.objects.filter(action="security_info.temporary_pass.expire")
    assert [(event.target_id, event.tenant_id) for event in expired] == [
        (str(unused.pk), tenant.pk)
    ]
    # A second run finds nothing more to record.
    assert services.temporary_passes_expire() == 0
