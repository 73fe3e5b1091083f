"""Password expiry: off by default; when the organization sets it, an old password must go."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import services
from tests.factories import PASSWORD, make_tenant, make_user
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Another-Long-Secret-31"


def age_password(user, days):
    type(user).objects.filter(pk=user.pk).update(
        password_changed_at=timezone.now() - timedelta(days=days)
    )
    user.refresh_from_db()


def test_passwords_never_expire_by_default(client):
    user = make_user(make_tenant())
    age_password(user, 3650)
    assert not user.password_expired
    sign_in(client, user)
    assert client.get("/account/").status_code == 200


def test_an_expired_password_must_be_changed_before_any_other_page(client):
    user = make_user(make_tenant(password_expiry_days=90))
    age_password(user, 90)
    sign_in(client, user)
    assert client.get("/account/").url == "/account/password/"
    page = client.get("/account/password/").content.decode()
    assert "Your password has expired" in page and "every 90 days" in page

    response = client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": PASSWORD, "new_password2": PASSWORD},
    )
    assert "Choose a password different from your current one." in response.content.decode()

    client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    user.refresh_from_db()
    assert not user.password_expired
    assert client.get("/account/").status_code == 200


def test_a_password_younger_than_the_limit_is_kept(client):
    user = make_user(make_tenant(password_expiry_days=90))
    age_password(user, 89)
    sign_in(client, user)
    assert client.get("/account/").status_code == 200


def test_a_user_who_never_changed_counts_from_the_account_creation(client):
    user = make_user(make_tenant(password_expiry_days=30))
    type(user).objects.filter(pk=user.pk).update(
        password_changed_at=None, date_joined=timezone.now() - timedelta(days=31)
    )
    user.refresh_from_db()
    assert user.password_expired


def test_a_reset_by_an_admin_restarts_the_clock():
    tenant = make_tenant(password_expiry_days=30)
    user = make_user(tenant)
    age_password(user, 40)
    services.password_reset_by_admin(
        tenant=tenant,
        user=user,
        acting_user=make_user(tenant, roles=["helpdesk_admin"]),
        new_password=NEW_PASSWORD,
        require_change=False,
    )
    user.refresh_from_db()
    assert not user.password_expired


def test_a_hash_upgrade_at_sign_in_does_not_restart_the_clock(settings):
    user = make_user(make_tenant(password_expiry_days=30))
    age_password(user, 40)
    changed_at = user.password_changed_at
    # Tests hash with MD5 first; make Argon2 preferred so the stored hash gets upgraded.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    assert user.check_password(PASSWORD)
    user.refresh_from_db()
    assert user.password.startswith("argon2")
    assert user.password_changed_at == changed_at
    assert user.password_expired
