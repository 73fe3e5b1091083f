"""The settings services check their own rules, whatever the form let through."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import AuditEvent, Tenant
from accounts.roles import GLOBAL_ADMIN
from org_settings import services
from org_settings.forms import SecuritySettingsForm
from tests.factories import make_tenant, make_user


def update(tenant, admin, **changes):
    values = {
        "require_mfa_for_admins": tenant.require_mfa_for_admins,
        "reset_gates_for_users": tenant.reset_gates_for_users,
        "password_expiry_days": tenant.password_expiry_days,
    } | changes
    return services.tenant_security_update(tenant=tenant, acting_user=admin, **values)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "changes",
    [{"password_expiry_days": 13}, {"password_expiry_days": 731}, {"reset_gates_for_users": 3}],
)
def test_service_refuses_values_outside_the_rules(changes):
    tenant = make_tenant()
    admin = make_user(tenant, roles=[GLOBAL_ADMIN])
    with pytest.raises(ValidationError):
        update(tenant, admin, **changes)
    stored = Tenant.objects.get(pk=tenant.pk)
    assert (stored.password_expiry_days, stored.reset_gates_for_users) == (None, 1)
    assert not AuditEvent.objects.filter(action="tenant.security.change").exists()


@pytest.mark.django_db
def test_service_updates_the_callers_copy_of_the_tenant():
    tenant = make_tenant()
    admin = make_user(tenant, roles=[GLOBAL_ADMIN])
    assert update(tenant, admin, password_expiry_days=30) == ["password_expiry_days"]
    assert tenant.password_expiry_days == 30


@given(st.integers(min_value=-10_000, max_value=10_000))
def test_form_accepts_exactly_14_to_730_days(days):
    form = SecuritySettingsForm(
        data={
            "reset_gates_for_users": "1",
            "password_expiry": "after",
            "password_expiry_days": str(days),
        }
    )
    assert form.is_valid() == (14 <= days <= 730)
    if form.is_valid():
        assert form.cleaned_data["password_expiry_days"] == days
