"""Getting back in with the helpdesk: password reset by an admin, and ending sessions."""

import json

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.test import Client, override_settings

from accounts import services
from accounts.models import AuditEvent, User
from accounts.roles import (
    BILLING_ADMIN,
    GLOBAL_ADMIN,
    GLOBAL_READER,
    GROUPS_ADMIN,
    HELPDESK_ADMIN,
    REPORTS_READER,
    SERVICE_SUPPORT_ADMIN,
    USER_ADMIN,
    VIEW_USERS,
    permissions_for_roles,
)
from core.exceptions import Forbidden
from tests.factories import PASSWORD, make_tenant, make_user
from tests.helpers import (
    assert_forbidden,
    assert_not_found,
    assert_redirects_to_signin,
    is_locked_out,
    lock_out,
    sign_in,
)

pytestmark = pytest.mark.django_db

STRONG_PASSWORD = "Plenty-Of-Words-Here-9"
GENERATE = {"mode": "generate", "require_change": "on"}


@pytest.fixture
def person(tenant):
    return make_user(tenant, display_name="Pat Person")


@pytest.fixture
def helpdesk(tenant):
    return make_user(tenant, roles=[HELPDESK_ADMIN], display_name="Hal Desk")


def reset_url(user):
    return f"/users/{user.pk}/reset-password/"


def detail_url(user):
    return f"/users/{user.pk}/"


def signed_in_client(user):
    return sign_in(Client(), user)


def assert_signed_in(client):
    assert client.get("/account/").status_code == 200


def assert_signed_out(client):
    assert_redirects_to_signin(client.get("/account/"), "/account/")


def reset(client, target, data=GENERATE):
    return client.post(reset_url(target), data)


def shown_password(response):
    assert response.status_code == 200, response.status_code
    return response.context["password"]


# --- Who may reset whose password, through the real view -------------------------

ACTOR_ROLES = [
    GLOBAL_ADMIN,
    GLOBAL_READER,
    USER_ADMIN,
    HELPDESK_ADMIN,
    GROUPS_ADMIN,
    BILLING_ADMIN,
    SERVICE_SUPPORT_ADMIN,
    REPORTS_READER,
    None,
]
TARGET_ROLES = [None, HELPDESK_ADMIN, GLOBAL_ADMIN, USER_ADMIN]

# Written out, not computed from accounts.roles: this is the rule the design states.
ALLOWED = {
    (GLOBAL_ADMIN, None),
    (GLOBAL_ADMIN, HELPDESK_ADMIN),
    (GLOBAL_ADMIN, GLOBAL_ADMIN),
    (GLOBAL_ADMIN, USER_ADMIN),
    (USER_ADMIN, None),
    (USER_ADMIN, HELPDESK_ADMIN),
    (USER_ADMIN, USER_ADMIN),
    (HELPDESK_ADMIN, None),
    (HELPDESK_ADMIN, HELPDESK_ADMIN),
}


def _roles(role):
    return [role] if role else []


@pytest.mark.parametrize("target_role", TARGET_ROLES, ids=lambda r: f"target-{r or 'none'}")
@pytest.mark.parametrize("actor_role", ACTOR_ROLES, ids=lambda r: f"actor-{r or 'none'}")
def test_password_reset_by_role(client, tenant, actor_role, target_role):
    actor = make_user(tenant, roles=_roles(actor_role))
    target = make_user(tenant, roles=_roles(target_role))
    target_client = signed_in_client(target)
    assert_signed_in(target_client)
    sign_in(client, actor)
    can_view_users = VIEW_USERS in permissions_for_roles(_roles(actor_role))

    if (actor_role, target_role) in ALLOWED:
        page = client.get(detail_url(target)).content.decode()
        assert f'href="{reset_url(target)}"' in page
        assert client.get(reset_url(target)).status_code == 200

        password = shown_password(reset(client, target))
        target.refresh_from_db()
        assert target.check_password(password)
        assert target.must_change_password
        # The target's open session ends at its next request.
        assert_signed_out(target_client)
        event = AuditEvent.objects.get(action="password.reset_by_admin")
        assert (event.actor_id, event.target_id) == (actor.pk, str(target.pk))
        assert event.tenant_id == tenant.pk
    else:
        if can_view_users:
            # The page opens, without the button; the form itself is refused.
            page = client.get(detail_url(target)).content.decode()
            assert reset_url(target) not in page
        assert_forbidden(client.get(reset_url(target)))
        assert_forbidden(reset(client, target))
        target.refresh_from_db()
        assert target.check_password(PASSWORD)
        assert not target.must_change_password
        assert_signed_in(target_client)
        assert not AuditEvent.objects.filter(action="password.reset_by_admin").exists()
        denied = AuditEvent.objects.get(action="password.reset_denied")
        assert (denied.actor_id, denied.target_id) == (actor.pk, str(target.pk))


def test_helpdesk_cannot_reset_global_admin(client, tenant, helpdesk):
    target = make_user(tenant, roles=[GLOBAL_ADMIN])
    sign_in(client, helpdesk)
    page = client.get(detail_url(target)).content.decode()
    assert "Reset password" not in page and "Sign out of all sessions" not in page
    assert_forbidden(reset(client, target))
    target.refresh_from_db()
    assert target.check_password(PASSWORD)


def test_nobody_resets_their_own_password_here(client, tenant):
    admin = make_user(tenant, roles=[GLOBAL_ADMIN])
    sign_in(client, admin)
    assert reset_url(admin) not in client.get(detail_url(admin)).content.decode()
    assert_forbidden(client.get(reset_url(admin)))
    assert_forbidden(reset(client, admin))
    admin.refresh_from_db()
    assert admin.check_password(PASSWORD)
    assert_signed_in(client)
    with pytest.raises(Forbidden):
        services.password_reset_by_admin(tenant=tenant, user=admin, acting_user=admin)


def test_other_tenants_user_is_not_found(client, person):
    admin = make_user(make_tenant(), roles=[GLOBAL_ADMIN])
    sign_in(client, admin)
    assert_not_found(client.get(reset_url(person)))
    assert_not_found(reset(client, person))
    person.refresh_from_db()
    assert person.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(action__startswith="password.reset").exists()


def test_service_refuses_a_user_of_another_tenant(person):
    other = make_tenant()
    admin = make_user(other, roles=[GLOBAL_ADMIN])
    with pytest.raises(ValidationError):
        services.password_reset_by_admin(tenant=other, user=person, acting_user=admin)
    person.refresh_from_db()
    assert person.check_password(PASSWORD)


def test_anonymous_is_sent_to_sign_in(client, person):
    assert_redirects_to_signin(client.get(reset_url(person)), reset_url(person))
    client.post(reset_url(person), GENERATE)
    person.refresh_from_db()
    assert person.check_password(PASSWORD)


# --- The form ----------------------------------------------------------------------


def test_reset_form_offers_generate_by_default_and_requires_a_change(client, helpdesk, person):
    sign_in(client, helpdesk)
    page = client.get(reset_url(person)).content.decode()
    assert 'type="radio" name="mode" value="generate"' in page
    generate = page[page.index('value="generate"') :].split(">", 1)[0]
    assert "checked" in generate
    assert '<label for="id_password">' in page
    assert 'type="password" name="password"' in page
    assert 'autocomplete="new-password"' in page
    checkbox = page[page.index('name="require_change"') :].split(">", 1)[0]
    assert "checked" in checkbox
    assert "Require this user to change the password at next sign-in" in page


def test_typed_weak_password_shows_a_field_error_and_changes_nothing(client, helpdesk, person):
    target_client = signed_in_client(person)
    sign_in(client, helpdesk)
    response = reset(client, person, {"mode": "type", "password": "short", "require_change": "on"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["password"]
    assert any("too short" in message for message in errors["password"])
    page = response.content.decode()
    assert 'id="id_password_error"' in page
    assert "short" not in page.split('name="password"', 1)[1].split(">", 1)[0]  # not echoed
    person.refresh_from_db()
    assert person.check_password(PASSWORD)
    assert not person.must_change_password
    assert_signed_in(target_client)
    assert not AuditEvent.objects.filter(action="password.reset_by_admin").exists()


def test_password_like_the_users_name_is_refused(client, helpdesk, tenant):
    person = make_user(tenant, "christopher.longname")
    sign_in(client, helpdesk)
    response = reset(client, person, {"mode": "type", "password": "christopher.longname"})
    assert "too similar" in " ".join(response.context["form"].errors["password"])


def test_choosing_type_without_a_password_asks_for_one(client, helpdesk, person):
    sign_in(client, helpdesk)
    response = reset(client, person, {"mode": "type", "password": ""})
    assert response.context["form"].errors["password"] == ["Type a password."]
    person.refresh_from_db()
    assert person.check_password(PASSWORD)


def test_a_typed_password_with_generate_chosen_is_not_silently_dropped(client, helpdesk, person):
    sign_in(client, helpdesk)
    response = reset(client, person, {"mode": "generate", "password": STRONG_PASSWORD})
    assert response.status_code == 200
    assert "password" in response.context["form"].errors
    person.refresh_from_db()
    assert person.check_password(PASSWORD)


def test_typed_strong_password_is_set_and_not_shown_back(client, helpdesk, person):
    sign_in(client, helpdesk)
    response = reset(client, person, {"mode": "type", "password": STRONG_PASSWORD})
    assert response.status_code == 200
    assert STRONG_PASSWORD not in response.content.decode()
    person.refresh_from_db()
    assert person.check_password(STRONG_PASSWORD)
    # The checkbox was left off: no change demanded.
    assert not person.must_change_password
    event = AuditEvent.objects.get(action="password.reset_by_admin")
    assert event.new_values == {"generated": False, "must_change_password": False}


# --- The result ----------------------------------------------------------------------


def test_generated_password_is_shown_once_and_not_cached(client, helpdesk, person):
    sign_in(client, helpdesk)
    response = reset(client, person)
    password = shown_password(response)
    assert f'<code class="secret" data-testid="new-password">{password}</code>' in (
        response.content.decode()
    )
    assert "no-store" in response["Cache-Control"]
    # Opening the form again shows a form, never the password.
    again = client.get(reset_url(person))
    assert password not in again.content.decode()
    assert "no-store" in again["Cache-Control"]


def test_generated_password_is_strong_and_unambiguous():
    passwords = {services.password_generate() for _index in range(200)}
    assert len(passwords) == 200
    for password in passwords:
        assert len(password) == 16
        assert not set(password) & set("0O1lI")


def test_audit_event_never_holds_the_password(client, helpdesk, person):
    sign_in(client, helpdesk)
    password = shown_password(reset(client, person))
    for event in AuditEvent.objects.all():
        stored = json.dumps([event.old_values, event.new_values, event.target_label])
        assert password not in stored
    person.refresh_from_db()
    assert password not in person.password


def test_generated_password_signs_in_and_the_user_must_change_it_first(client, helpdesk, person):
    sign_in(client, helpdesk)
    password = shown_password(reset(client, person))
    assert authenticate(None, username=person.username, password=password) == person
    assert authenticate(None, username=person.username, password=PASSWORD) is None

    user_client = Client()
    response = user_client.post("/signin/", {"username": person.username, "password": password})
    assert response.status_code == 302
    for path in ("/", "/account/", detail_url(person)):
        response = user_client.get(path)
        assert (response.status_code, response["Location"]) == (302, "/account/password/"), path
    response = user_client.post(
        "/account/password/",
        {
            "old_password": password,
            "new_password1": STRONG_PASSWORD,
            "new_password2": STRONG_PASSWORD,
        },
    )
    assert response["Location"] == "/account/"
    person.refresh_from_db()
    assert not person.must_change_password
    assert person.check_password(STRONG_PASSWORD)
    assert_signed_in(user_client)


def test_reset_lifts_the_sign_in_lockout(client, helpdesk, person, settings):
    lock_out(person.username, "203.0.113.9")
    assert is_locked_out(person.username, "203.0.113.9")
    sign_in(client, helpdesk)
    password = shown_password(reset(client, person))
    assert not is_locked_out(person.username, "203.0.113.9")

    user_client = Client(REMOTE_ADDR="203.0.113.9")
    response = user_client.post("/signin/", {"username": person.username, "password": password})
    assert response["Location"] == "/"


def test_activity_on_the_users_page_shows_the_reset_to_audit_log_readers(
    client, tenant, helpdesk, person
):
    sign_in(client, helpdesk)
    reset(client, person)
    # The helpdesk may not read the audit log, so not this part of it either.
    assert "Password reset by an admin" not in client.get(detail_url(person)).content.decode()
    sign_in(client, make_user(tenant, roles=[GLOBAL_READER]))
    assert "Password reset by an admin" in client.get(detail_url(person)).content.decode()


# --- Sign out of all sessions -----------------------------------------------------


def test_sign_out_of_all_sessions_ends_every_session_of_the_user(client, helpdesk, person):
    phone, laptop = signed_in_client(person), signed_in_client(person)
    sign_in(client, helpdesk)
    response = client.post(f"/users/{person.pk}/sign-out/", follow=True)
    assert "Pat Person was signed out of all sessions." in response.content.decode()
    assert_signed_out(phone)
    assert_signed_out(laptop)
    assert_signed_in(client)  # the admin's own session goes on
    person.refresh_from_db()
    assert person.session_epoch == 1
    assert person.check_password(PASSWORD)  # the password stays
    event = AuditEvent.objects.get(action="user.sessions_end")
    assert (event.actor_id, event.target_id) == (helpdesk.pk, str(person.pk))
    # Signing in again works.
    assert signed_in_client(person).get("/account/").status_code == 200


def test_sign_out_of_all_sessions_is_refused_where_reset_is(client, tenant, helpdesk):
    target = make_user(tenant, roles=[GLOBAL_ADMIN])
    target_client = signed_in_client(target)
    sign_in(client, helpdesk)
    assert_forbidden(client.post(f"/users/{target.pk}/sign-out/"))
    assert_signed_in(target_client)
    assert not AuditEvent.objects.filter(action="user.sessions_end").exists()


def test_sign_out_of_all_sessions_of_another_tenants_user_is_not_found(client, person):
    target_client = signed_in_client(person)
    sign_in(client, make_user(make_tenant(), roles=[GLOBAL_ADMIN]))
    assert_not_found(client.post(f"/users/{person.pk}/sign-out/"))
    assert_signed_in(target_client)


def test_sessions_end_service_refuses_whoever_may_not_reset(tenant, helpdesk):
    target = make_user(tenant, roles=[GLOBAL_ADMIN])
    with pytest.raises(Forbidden):
        services.user_sessions_end(tenant=tenant, user=target, acting_user=helpdesk)
    target.refresh_from_db()
    assert target.session_epoch == 0


def test_user_ends_their_own_sessions(tenant, person):
    other_device = signed_in_client(person)
    services.user_sessions_end(tenant=tenant, user=person, acting_user=person)
    assert_signed_out(other_device)


# --- The session hash ----------------------------------------------------------------


def test_epoch_zero_keeps_djangos_session_hash(person):
    # Adding the field signed nobody out.
    assert person.get_session_auth_hash() == AbstractBaseUser._get_session_auth_hash(person)


def test_each_epoch_gives_another_session_hash(tenant, person):
    hashes = {person.get_session_auth_hash()}
    for _round in range(3):
        services.user_sessions_end(tenant=tenant, user=person, acting_user=None)
        hashes.add(person.get_session_auth_hash())
    assert len(hashes) == 4
    assert User.objects.get(pk=person.pk).session_epoch == 3


def test_session_hash_follows_the_password_too(tenant, person):
    services.user_sessions_end(tenant=tenant, user=person, acting_user=None)
    before = person.get_session_auth_hash()
    person.set_password(STRONG_PASSWORD)
    assert person.get_session_auth_hash() != before


def test_sessions_survive_a_secret_key_rotation(tenant, person):
    services.user_sessions_end(tenant=tenant, user=person, acting_user=None)
    with override_settings(SECRET_KEY="old-key-" * 8):
        old_client = signed_in_client(person)
        assert_signed_in(old_client)
    with override_settings(SECRET_KEY="new-key-" * 8, SECRET_KEY_FALLBACKS=["old-key-" * 8]):
        person.refresh_from_db()
        assert person._get_session_auth_hash(secret="old-key-" * 8) in list(
            person.get_session_auth_fallback_hash()
        )
        assert_signed_in(old_client)
