"""The organization's policy: admins need a second factor before the admin center opens."""

import pytest
from django_otp.plugins.otp_static.models import StaticDevice

from accounts.models import Tenant
from accounts.roles import GLOBAL_ADMIN, HELPDESK_ADMIN
from tests.factories import PASSWORD, make_tenant, make_user
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def strict_tenant():
    return make_tenant(require_mfa_for_admins=True)


def test_new_tenants_require_a_second_factor_for_admins_by_default():
    assert Tenant().require_mfa_for_admins is True


@pytest.mark.parametrize("path", ["/", "/audit/", "/audit/export/"])
def test_admin_without_second_factor_is_taken_to_security_info(client, strict_tenant, path):
    sign_in(client, make_user(strict_tenant, roles=[GLOBAL_ADMIN]))
    response = client.get(path)
    assert response.status_code == 302
    assert response.url == "/security-info/"


@pytest.mark.parametrize("path", ["/security-info/", "/account/", "/account/password/"])
def test_admin_without_second_factor_can_still_reach_setup_pages(client, strict_tenant, path):
    sign_in(client, make_user(strict_tenant, roles=[HELPDESK_ADMIN]))
    assert client.get(path).status_code == 200


def test_security_info_tells_the_admin_to_register_a_method(client, strict_tenant):
    sign_in(client, make_user(strict_tenant, roles=[GLOBAL_ADMIN]))
    response = client.get("/security-info/")
    assert b'data-testid="mfa-required"' in response.content


def test_user_without_role_is_not_held_by_the_policy(client, strict_tenant):
    sign_in(client, make_user(strict_tenant))
    assert client.get("/account/").status_code == 200
    assert client.get("/").url == "/account/"


def test_policy_off_lets_admins_in_without_second_factor(client):
    tenant = make_tenant(require_mfa_for_admins=False)
    sign_in(client, make_user(tenant, roles=[GLOBAL_ADMIN]))
    assert client.get("/").status_code == 200


def test_admin_verified_with_a_second_factor_at_sign_in_opens_the_admin_center(
    client, strict_tenant
):
    admin = make_user(strict_tenant, roles=[GLOBAL_ADMIN])
    device = StaticDevice.objects.create(user=admin, name="backup", confirmed=True)
    device.token_set.create(token="12345678")
    response = client.post("/signin/", {"username": admin.username, "password": PASSWORD})
    assert response.url == "/signin/verify/"
    response = client.post(
        "/signin/verify/", {"otp_device": device.persistent_id, "otp_token": "12345678"}
    )
    assert response.url == "/"
    assert client.get("/").status_code == 200


def test_admin_with_a_device_but_unverified_session_must_confirm_first(client, strict_tenant):
    admin = make_user(strict_tenant, roles=[GLOBAL_ADMIN])
    StaticDevice.objects.create(user=admin, name="backup", confirmed=True)
    sign_in(client, admin)  # a session that never passed the second step
    assert client.get("/").url == "/security-info/"
    page = client.get("/security-info/").content.decode()
    assert "Confirm with a code" in page
