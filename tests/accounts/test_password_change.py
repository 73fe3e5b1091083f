"""Changing one's own password on My account ends the other sessions, not this one."""

import pytest
from django.test import Client

from accounts import services
from accounts.models import AuditEvent
from tests.factories import PASSWORD, make_tenant, make_user
from tests.helpers import assert_redirects_to_signin, sign_in

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Another-Long-Secret-31"


@pytest.fixture
def user():
    return make_user(make_tenant(), display_name="Pat Person")


def change(client, old=PASSWORD, new=NEW_PASSWORD):
    return client.post(
        "/account/password/",
        {"old_password": old, "new_password1": new, "new_password2": new},
    )


def test_password_change_ends_other_sessions_and_keeps_the_current_one(user):
    here, phone, laptop = (sign_in(Client(), user) for _device in range(3))
    response = change(here)
    assert response["Location"] == "/account/"
    assert here.get("/account/").status_code == 200
    for other in (phone, laptop):
        assert_redirects_to_signin(other.get("/account/"), "/account/")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert user.session_epoch == 1
    # One change, one event.
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["password.change"]


def test_the_current_session_survives_a_second_change(user):
    here, other = sign_in(Client(), user), sign_in(Client(), user)
    change(here)
    change(here, old=NEW_PASSWORD, new="Third-Long-Secret-47")
    assert here.get("/account/").status_code == 200
    assert_redirects_to_signin(other.get("/account/"), "/account/")


def test_a_failed_change_ends_no_session(user):
    here, other = sign_in(Client(), user), sign_in(Client(), user)
    response = change(here, old="Not-The-Password-1")
    assert response.status_code == 200
    assert other.get("/account/").status_code == 200
    user.refresh_from_db()
    assert user.session_epoch == 0


def test_forced_change_clears_the_flag_and_opens_the_portal(user):
    user.must_change_password = True
    user.save(update_fields=["must_change_password"])
    here = sign_in(Client(), user)
    assert here.get("/account/")["Location"] == "/account/password/"
    change(here)
    user.refresh_from_db()
    assert not user.must_change_password
    assert here.get("/account/").status_code == 200


def test_service_ends_other_sessions_without_a_request(user):
    other = sign_in(Client(), user)
    services.password_change_ending_other_sessions(user=user, new_password=NEW_PASSWORD)
    assert_redirects_to_signin(other.get("/account/"), "/account/")
    assert user.must_change_password is False
