"""Every view of accounts/urls.py: happy path, bad input, wrong role, anonymous, other tenant."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice

from accounts import selectors
from accounts.audit import audit_record
from accounts.models import AuditEvent, User
from accounts.roles import (
    BILLING_ADMIN,
    GLOBAL_ADMIN,
    GLOBAL_READER,
    HELPDESK_ADMIN,
    REPORTS_READER,
    USER_ADMIN,
)
from tests.factories import PASSWORD, make_operator, make_user
from tests.helpers import (
    assert_forbidden,
    assert_not_found,
    assert_redirects_to_signin,
    sign_in,
)

pytestmark = [pytest.mark.django_db, pytest.mark.tenant(name="Contoso", domain="contoso.example")]

NEW_PASSWORD = "Brand-new-Passw0rd!"


@pytest.fixture
def reader(tenant):
    return make_user(tenant, "reader", roles=[GLOBAL_READER])


@pytest.fixture
def helpdesk(tenant):
    return make_user(tenant, "helpdesk", roles=[HELPDESK_ADMIN])


@pytest.fixture
def plain_user(tenant):
    return make_user(tenant, "ula", display_name="Ula User")


# --- sign-in ---------------------------------------------------------------------


def test_signin_page_renders_a_labelled_form(client):
    response = client.get("/signin/")
    assert response.status_code == 200
    content = response.content.decode()
    assert '<label for="id_username">' in content
    assert 'type="password"' in content
    assert response["Cache-Control"].startswith("max-age=0")


def test_signin_with_the_right_password_lands_on_home(client, admin):
    response = client.post("/signin/", {"username": "MEGAN@contoso.example", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert int(client.session[SESSION_KEY]) == admin.pk
    event = AuditEvent.objects.get(action="signin.success")
    assert event.actor == admin
    assert event.tenant == admin.tenant


def test_signin_follows_a_local_next_and_ignores_a_foreign_one(client, admin):
    response = client.post(
        "/signin/", {"username": admin.username, "password": PASSWORD, "next": "/audit/"}
    )
    assert response["Location"] == "/audit/"
    client.post("/signout/")
    response = client.post(
        "/signin/",
        {"username": admin.username, "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == "/"


@pytest.mark.parametrize(
    "data",
    [
        {"username": "megan@contoso.example", "password": "wrong-password"},
        {"username": "nobody@contoso.example", "password": PASSWORD},
        {"username": "", "password": ""},
    ],
    ids=["wrong-password", "unknown-user", "empty"],
)
def test_signin_with_bad_input_shows_the_form_again(client, admin, data):
    response = client.post("/signin/", data)
    assert response.status_code == 200
    assert SESSION_KEY not in client.session
    assert "error-summary" in response.content.decode()


def test_signin_failure_gives_the_same_message_for_unknown_and_wrong_password(client, admin):
    wrong = client.post("/signin/", {"username": admin.username, "password": "nope-nope-1"})
    unknown = client.post("/signin/", {"username": "x@contoso.example", "password": "nope-nope-1"})
    assert "don&#x27;t match" in wrong.content.decode()
    assert "don&#x27;t match" in unknown.content.decode()
    assert AuditEvent.objects.filter(action="signin.failure").count() == 2


def test_signin_of_a_blocked_user_fails(client, tenant):
    blocked = make_user(tenant, is_sign_in_blocked=True)
    response = client.post("/signin/", {"username": blocked.username, "password": PASSWORD})
    assert response.status_code == 200
    assert SESSION_KEY not in client.session


def test_signin_page_sends_a_signed_in_user_on(client, admin):
    sign_in(client, admin)
    response = client.get("/signin/")
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_signin_of_an_operator_lands_on_the_operators_site(client):
    operator = make_operator()
    response = client.post("/signin/", {"username": operator.username, "password": PASSWORD})
    assert response["Location"] == "/operators/"


def test_signin_with_a_device_asks_for_the_second_step(client, admin):
    StaticDevice.objects.create(user=admin, name="backup", confirmed=True)
    response = client.post(
        "/signin/", {"username": admin.username, "password": PASSWORD, "next": "/audit/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/signin/verify/?next=%2Faudit%2F"
    assert SESSION_KEY not in client.session


# --- sign-in, second step ---------------------------------------------------------


@pytest.fixture
def pending(client, admin):
    """An admin with a backup code, past the password step."""
    device = StaticDevice.objects.create(user=admin, name="backup", confirmed=True)
    device.token_set.create(token="12345678")
    client.post("/signin/", {"username": admin.username, "password": PASSWORD})
    return device


def test_signin_verify_page_asks_for_a_code(client, pending):
    response = client.get("/signin/verify/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "megan@contoso.example" in content
    assert 'autocomplete="one-time-code"' in content
    assert pending.persistent_id in content


def test_signin_verify_with_the_right_code_signs_in(client, pending, admin):
    response = client.post(
        "/signin/verify/?next=/audit/",
        {"otp_device": pending.persistent_id, "otp_token": "12345678", "next": "/audit/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/audit/"
    assert int(client.session[SESSION_KEY]) == admin.pk
    assert client.session["otp_device_id"] == pending.persistent_id
    assert AuditEvent.objects.get(action="signin.success").new_values == {"second_factor": True}
    assert not pending.token_set.exists()  # a backup code works once


def test_signin_verify_with_a_wrong_code_shows_the_form_again(client, pending):
    response = client.post(
        "/signin/verify/", {"otp_device": pending.persistent_id, "otp_token": "00000000"}
    )
    assert response.status_code == 200
    assert SESSION_KEY not in client.session
    assert "error-summary" in response.content.decode()
    assert AuditEvent.objects.filter(action="signin.mfa_failure").count() == 1


def test_signin_verify_without_a_password_step_sends_to_signin(client):
    response = client.get("/signin/verify/")
    assert response.status_code == 302
    assert response["Location"] == "/signin/"


# --- sign-out -----------------------------------------------------------------------


def test_signout_ends_the_session_and_audits(client, admin):
    sign_in(client, admin)
    response = client.post("/signout/")
    assert response.status_code == 302
    assert response["Location"] == "/signin/"
    assert SESSION_KEY not in client.session
    assert AuditEvent.objects.get(action="signout").actor == admin
    assert_redirects_to_signin(client.get("/"), "/")


def test_signout_needs_post(client, admin):
    sign_in(client, admin)
    assert client.get("/signout/").status_code == 405
    assert SESSION_KEY in client.session


def test_signout_when_anonymous_just_sends_to_signin(client):
    response = client.post("/signout/")
    assert response["Location"] == "/signin/"
    assert not AuditEvent.objects.exists()


# --- Home -----------------------------------------------------------------------------


def _stat(response, name):
    content = response.content.decode()
    start = content.index(f'data-testid="count-{name}">') + len(f'data-testid="count-{name}">')
    return content[start : content.index("<", start)]


def test_home_shows_the_tenants_counts(client, tenant, other_tenant, admin):
    make_user(tenant, roles=[HELPDESK_ADMIN, REPORTS_READER])
    make_user(tenant, is_sign_in_blocked=True)
    make_user(tenant)
    make_user(tenant, roles=[USER_ADMIN], deleted_at=timezone.now())  # not counted
    make_user(other_tenant, roles=[GLOBAL_ADMIN])  # not counted
    make_user(other_tenant)
    sign_in(client, admin)
    response = client.get("/")
    assert response.status_code == 200
    assert _stat(response, "users") == "4"
    assert _stat(response, "admins") == "2"
    content = response.content.decode()
    assert "1 blocked from signing in" in content
    assert "Global admin" in content  # the signed-in user's roles
    assert "Contoso" in content


def test_home_counts_of_no_tenant_are_zero(tenant):
    make_user(tenant, roles=[GLOBAL_ADMIN])
    assert selectors.home_counts(tenant=None) == {"users": 0, "blocked": 0, "admins": 0}


def test_home_sends_a_user_without_role_to_my_account(client, plain_user):
    sign_in(client, plain_user)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/account/"


def test_home_sends_an_operator_to_the_operators_site(client):
    sign_in(client, make_operator())
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/operators/"


def test_home_anonymous_is_sent_to_signin(client):
    assert_redirects_to_signin(client.get("/"), "/")


@pytest.mark.parametrize("role", [HELPDESK_ADMIN, BILLING_ADMIN, REPORTS_READER])
def test_home_opens_for_every_admin_role(client, tenant, role):
    sign_in(client, make_user(tenant, roles=[role]))
    assert client.get("/").status_code == 200


def _add_users(tenant, count):
    domain = tenant.domain_set.get(is_default=True).name
    User.objects.bulk_create(
        User(
            tenant=tenant,
            username=f"bulk{i}@{domain}",
            display_name=f"Bulk {i}",
            password="!",
            is_sign_in_blocked=i % 7 == 0,
        )
        for i in range(count)
    )


@pytest.mark.parametrize("users", [10, 300])
def test_home_stays_within_the_query_budget(
    client, settings, tenant, admin, users, django_assert_max_num_queries
):
    _add_users(tenant, users - 1)
    sign_in(client, admin)
    # Home makes 11 queries, with 10 users as with 300: the session (none when
    # sessions live in Redis), the user with the tenant and their roles, the
    # user counts (all and blocked, one query), the admin count; and the areas'
    # cards: billing (subscriptions, licenses, the unpaid bill), health (open
    # incidents and unread messages, one query), the admin's own security info, and
    # Setup's progress (its facts, two queries).
    expected = 10 if settings.SESSION_ENGINE.endswith(".cache") else 11
    with django_assert_max_num_queries(11) as captured:
        response = client.get("/")
    assert response.status_code == 200
    assert _stat(response, "users") == f"{users:,}"
    assert len(captured.captured_queries) == expected, "\n".join(
        q["sql"][:100] for q in captured.captured_queries
    )


def test_home_rendered_again_asks_only_for_the_admins_own_figures(
    client, settings, tenant, admin, django_assert_max_num_queries
):
    settings.PORTAL_PAGE_CACHE_SECONDS = 0  # every visit rendered
    sign_in(client, admin)
    client.get("/")
    # The organization's figures (the user counts, billing's) are kept until it
    # changes: 3 queries, the session (none in Redis), the user with their roles,
    # the health card's counts and the security info.
    expected = 3 if settings.SESSION_ENGINE.endswith(".cache") else 4
    with django_assert_max_num_queries(4) as captured:
        response = client.get("/")
    assert response.status_code == 200
    assert len(captured.captured_queries) == expected, "\n".join(
        q["sql"][:100] for q in captured.captured_queries
    )


# --- My account --------------------------------------------------------------------------


def test_my_account_renders_for_a_user_without_role(client, plain_user):
    sign_in(client, plain_user)
    response = client.get("/account/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "ula@contoso.example" in content
    assert "Ula User" in content
    assert "you have no admin center" in content
    assert "Go to the admin center" not in content


def test_my_account_of_an_admin_lists_roles_and_links_the_admin_center(client, admin):
    sign_in(client, admin)
    content = client.get("/account/").content.decode()
    assert "Global admin" in content
    assert "Go to the admin center" in content


def test_my_account_anonymous_is_sent_to_signin(client):
    assert_redirects_to_signin(client.get("/account/"), "/account/")


# --- Change password -------------------------------------------------------------------------


def _change(client, old=PASSWORD, new1=NEW_PASSWORD, new2=NEW_PASSWORD):
    return client.post(
        "/account/password/",
        {"old_password": old, "new_password1": new1, "new_password2": new2},
    )


def test_password_change_page_renders(client, plain_user):
    sign_in(client, plain_user)
    response = client.get("/account/password/")
    assert response.status_code == 200
    content = response.content.decode()
    assert '<label for="id_old_password">' in content
    assert '<label for="id_new_password1">' in content


def test_password_change_sets_the_password_and_keeps_the_session(client, plain_user):
    sign_in(client, plain_user)
    response = _change(client)
    assert response.status_code == 302
    assert response["Location"] == "/account/"
    plain_user.refresh_from_db()
    assert plain_user.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.get(action="password.change").actor == plain_user
    assert client.get("/account/").status_code == 200  # still signed in


@pytest.mark.parametrize(
    ("old", "new1", "new2", "field"),
    [
        ("wrong-password", NEW_PASSWORD, NEW_PASSWORD, "old_password"),
        (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x", "new_password2"),
        (PASSWORD, "password", "password", "new_password2"),
        (PASSWORD, "short", "short", "new_password2"),
    ],
    ids=["wrong-old-password", "mismatch", "common", "too-short"],
)
def test_password_change_with_bad_input_shows_errors(client, plain_user, old, new1, new2, field):
    sign_in(client, plain_user)
    response = _change(client, old, new1, new2)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    plain_user.refresh_from_db()
    assert plain_user.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(action="password.change").exists()


def test_user_who_must_change_password_is_held_on_the_change_page(client, tenant):
    user = make_user(tenant, roles=[GLOBAL_ADMIN], must_change_password=True)
    sign_in(client, user)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/account/password/"
    assert client.get("/account/password/").status_code == 200
    _change(client)
    assert client.get("/").status_code == 200


def test_password_change_anonymous_is_sent_to_signin(client):
    assert_redirects_to_signin(client.get("/account/password/"), "/account/password/")


# --- Audit log ------------------------------------------------------------------------------


def _event(tenant, *, action="role.assign", actor_label="megan@contoso.example", days_ago=0, **kw):
    return AuditEvent.objects.create(
        tenant=tenant,
        action=action,
        actor_label=actor_label,
        target_label=kw.pop("target_label", "Someone"),
        created_at=kw.pop("created_at", None) or timezone.now() - timedelta(days=days_ago),
        **kw,
    )


def _listed(response):
    # The page's rows are values, not events: the events they show, in order.
    ids = [row.id for row in response.context["events"]]
    events = AuditEvent.objects.in_bulk(ids)
    return [events[pk] for pk in ids]


def test_audit_list_shows_the_tenants_events_newest_first(client, admin, other_tenant):
    older = _event(admin.tenant, days_ago=2)
    newer = _event(admin.tenant, days_ago=1)
    _event(other_tenant, target_label="Foreign target")
    sign_in(client, admin)
    response = client.get("/audit/")
    assert response.status_code == 200
    assert _listed(response) == [newer, older]
    assert "Foreign target" not in response.content.decode()


def test_audit_list_filters_by_actor_prefix(client, admin):
    anna = _event(admin.tenant, actor_label="anna@contoso.example")
    _event(admin.tenant, actor_label="bob@contoso.example")
    _event(admin.tenant, actor_label="joanna@contoso.example")
    sign_in(client, admin)
    assert _listed(client.get("/audit/?actor=ANN")) == [anna]


def test_audit_list_filters_by_action(client, admin):
    removed = _event(admin.tenant, action="role.remove")
    _event(admin.tenant, action="role.assign")
    sign_in(client, admin)
    assert _listed(client.get("/audit/?action=role.remove")) == [removed]


def test_audit_list_filters_by_date_range(client, admin):
    now = timezone.now()
    events = {
        days: _event(admin.tenant, created_at=now - timedelta(days=days)) for days in (1, 5, 10)
    }
    sign_in(client, admin)
    date_from = (now - timedelta(days=6)).date().isoformat()
    date_to = (now - timedelta(days=2)).date().isoformat()
    assert _listed(client.get(f"/audit/?date_from={date_from}&date_to={date_to}")) == [events[5]]
    assert _listed(client.get(f"/audit/?date_from={date_from}")) == [events[1], events[5]]
    assert _listed(client.get(f"/audit/?date_to={date_to}")) == [events[5], events[10]]


@pytest.mark.parametrize(
    "query",
    ["date_from=yesterday", "date_to=2024-13-45", "action=no.such.action"],
    ids=["bad-from", "bad-to", "unknown-action"],
)
def test_audit_list_with_a_bad_filter_shows_a_field_error(client, admin, query):
    _event(admin.tenant)
    sign_in(client, admin)
    response = client.get(f"/audit/?{query}")
    assert response.status_code == 200
    assert response.context["filter"].form.errors
    content = response.content.decode()
    assert "error-summary" in content
    assert 'class="field-error"' in content


def test_audit_list_is_paginated(client, admin):
    AuditEvent.objects.bulk_create(
        AuditEvent(tenant=admin.tenant, action="role.assign", target_label=f"T{i}")
        for i in range(60)
    )
    sign_in(client, admin)
    first = client.get("/audit/?action=role.assign")
    assert len(_listed(first)) == 50
    content = first.content.decode()
    assert "60 items" in content
    assert "Page 1 of 2" in content
    assert "?action=role.assign&amp;page=2" in content
    second = client.get("/audit/?action=role.assign&page=2")
    assert len(_listed(second)) == 10
    assert client.get("/audit/?page=999").context["page_obj"].number == 2
    assert client.get("/audit/?page=junk").context["page_obj"].number == 1


@pytest.mark.parametrize(
    "query", ["", "?action=role.assign", "?action=role.assign&page=3", "?actor=megan&page=2"]
)
def test_audit_list_counts_and_reads_its_page_in_two_queries(
    client, settings, admin, django_assert_num_queries, query
):
    AuditEvent.objects.bulk_create(
        AuditEvent(tenant=admin.tenant, action="role.assign", actor_label="megan@contoso.example")
        for _ in range(120)
    )
    sign_in(client, admin)
    # The session (none when sessions live in the cache), the signed-in user with
    # their roles, then the events' count and their page.
    with django_assert_num_queries(3 if settings.SESSION_ENGINE.endswith(".cache") else 4):
        assert client.get(f"/audit/{query}").status_code == 200


def test_audit_list_filter_bar_speaks_each_readers_language(client, admin):
    sign_in(client, admin)
    for language, expected, other in (
        ("en", "All actions", "Alle acties"),
        ("nl", "Alle acties", "All actions"),
        ("en", "All actions", "Alle acties"),
    ):
        admin.preferred_language = language
        admin.save(update_fields=["preferred_language"])
        content = client.get("/audit/", headers={"Cache-Control": "no-cache"}).content.decode()
        assert expected in content and other not in content


def test_audit_list_opens_for_a_global_reader(client, reader):
    _event(reader.tenant)
    sign_in(client, reader)
    response = client.get("/audit/")
    assert response.status_code == 200
    assert len(_listed(response)) == 1


@pytest.mark.parametrize("role", [HELPDESK_ADMIN, USER_ADMIN, BILLING_ADMIN])
def test_audit_list_is_forbidden_without_the_audit_permission(client, tenant, role):
    sign_in(client, make_user(tenant, roles=[role]))
    assert_forbidden(client.get("/audit/"))


def test_audit_list_is_forbidden_to_a_user_without_role(client, plain_user):
    sign_in(client, plain_user)
    assert_forbidden(client.get("/audit/"))


def test_audit_list_anonymous_is_sent_to_signin(client):
    assert_redirects_to_signin(client.get("/audit/?action=signout"), "/audit/?action=signout")


# --- Audit event detail ------------------------------------------------------------------------


def test_audit_detail_shows_the_event(client, admin):
    event = audit_record(
        action="role.assign",
        tenant=admin.tenant,
        actor=admin,
        target=admin,
        new={"role": "helpdesk_admin"},
    )
    sign_in(client, admin)
    response = client.get(f"/audit/{event.pk}/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "Role assigned" in content
    assert "megan@contoso.example" in content
    assert "helpdesk_admin" in content


def test_audit_detail_of_another_tenants_event_is_not_found(client, admin, other_tenant):
    foreign = _event(other_tenant)
    sign_in(client, admin)
    assert_not_found(client.get(f"/audit/{foreign.pk}/"))


def test_audit_detail_of_a_platform_event_is_not_found(client, admin):
    platform_event = _event(None)
    sign_in(client, admin)
    assert_not_found(client.get(f"/audit/{platform_event.pk}/"))


def test_audit_detail_of_a_missing_event_is_not_found(client, admin):
    sign_in(client, admin)
    assert_not_found(client.get("/audit/999999/"))


def test_audit_detail_is_forbidden_to_a_helpdesk_admin(client, helpdesk):
    event = _event(helpdesk.tenant)
    sign_in(client, helpdesk)
    assert_forbidden(client.get(f"/audit/{event.pk}/"))


def test_audit_detail_anonymous_is_sent_to_signin(client, tenant):
    event = _event(tenant)
    assert_redirects_to_signin(client.get(f"/audit/{event.pk}/"), f"/audit/{event.pk}/")


# --- Audit export ---------------------------------------------------------------------------------


def _csv_rows(response):
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_audit_export_streams_the_filtered_rows_only(client, admin, other_tenant):
    kept = _event(admin.tenant, action="role.remove", target_label="Kept")
    _event(admin.tenant, action="role.assign", target_label="Other action")
    _event(other_tenant, action="role.remove", target_label="Foreign")
    sign_in(client, admin)
    response = client.get("/audit/export/?action=role.remove")
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="audit-log.csv"'
    header, *rows = _csv_rows(response)
    assert header[0] == "Time (ISO 8601)"
    assert len(rows) == 1
    assert datetime.fromisoformat(rows[0][0]) == kept.created_at
    assert rows[0][0].endswith("+00:00")  # the organization's zone, UTC by default
    assert rows[0][2:4] == ["Role removed", "role.remove"]
    assert rows[0][6] == "Kept"


def test_audit_export_writes_values_as_json(client, admin):
    audit_record(
        action="role.assign", tenant=admin.tenant, actor=admin, target=admin, new={"role": "x"}
    )
    sign_in(client, admin)
    [_header, row] = _csv_rows(client.get("/audit/export/?action=role.assign"))
    assert row[1] == "megan@contoso.example"
    assert row[7] == ""
    assert row[8] == '{"role": "x"}'


def test_audit_export_defuses_formula_cells(client, admin):
    _event(
        admin.tenant,
        actor_label="=cmd|' /C calc'!A0@contoso.example",
        target_label='=HYPERLINK("http://evil.example")',
        user_agent="+SUM(1,2)",
        new_values={"x": 1},
    )
    sign_in(client, admin)
    [_header, row] = _csv_rows(client.get("/audit/export/"))
    assert row[1] == "'=cmd|' /C calc'!A0@contoso.example"
    assert row[6] == '\'=HYPERLINK("http://evil.example")'
    assert row[10] == "'+SUM(1,2)"
    for cell in row:
        assert cell[:1] not in ("=", "+", "-", "@"), cell


def test_audit_export_with_a_bad_filter_is_refused(client, admin):
    _event(admin.tenant)
    sign_in(client, admin)
    response = client.get("/audit/export/?date_from=yesterday")
    assert response.status_code == 400
    assert "not valid" in response.content.decode()


def test_audit_export_is_forbidden_to_a_helpdesk_admin(client, helpdesk):
    sign_in(client, helpdesk)
    assert_forbidden(client.get("/audit/export/"))


def test_audit_export_opens_for_a_global_reader(client, reader):
    _event(reader.tenant)
    sign_in(client, reader)
    assert len(_csv_rows(client.get("/audit/export/"))) == 2


def test_audit_export_anonymous_is_sent_to_signin(client):
    assert_redirects_to_signin(client.get("/audit/export/"), "/audit/export/")


def test_audit_export_date_filter_uses_utc_days(client, admin):
    inside = _event(admin.tenant, created_at=datetime(2024, 3, 10, 23, 59, tzinfo=UTC))
    _event(admin.tenant, created_at=datetime(2024, 3, 11, 0, 0, tzinfo=UTC))
    sign_in(client, admin)
    rows = _csv_rows(client.get("/audit/export/?date_from=2024-03-10&date_to=2024-03-10"))
    assert [row[0] for row in rows[1:]] == [inside.created_at.isoformat()]


def test_every_accounts_url_is_covered_here():
    # A new view in accounts/urls.py needs its tests in this module.
    from accounts import urls

    assert {p.name for p in urls.urlpatterns} == {
        "home",
        "signin",
        "signin_verify",
        "signin_send_code",  # tested in tests/security_info/test_views.py (a phone sends)
        "signout",
        "my_account",
        "password_change",
        "language",  # tested in test_language.py
        "auditevent_list",
        "auditevent_export",
        "auditevent_detail",
        "act_in",  # tested in test_partners.py and test_partner_sweep.py
        "act_stop",  # tested in test_partners.py
    }
    assert reverse("accounts:auditevent_detail", args=[1]) == "/audit/1/"


def test_home_counts_are_kept_until_the_organization_changes(tenant, django_assert_num_queries):
    make_user(tenant, roles=[GLOBAL_ADMIN])
    assert selectors.home_counts(tenant=tenant)["users"] == 1
    with django_assert_num_queries(0):  # from the cache
        assert selectors.home_counts(tenant=tenant)["users"] == 1
    make_user(tenant)  # any change in the organization: recounted at once
    assert selectors.home_counts(tenant=tenant)["users"] == 2


# --- Audit filters are bounded ----------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        {"actor": "a" * 100_000},
        {"actor": "a" * 255},
        {"date_from": "2" * 100_000},
        {"date_to": "9999-12-31" * 10_000},
        {"action": "x" * 100_000},
    ],
    ids=["actor-100k", "actor-255", "date-from-100k", "date-to-100k", "action-100k"],
)
def test_a_long_or_odd_audit_filter_is_a_field_error_not_a_server_error(client, admin, query):
    _event(admin.tenant)
    sign_in(client, admin)
    client.raise_request_exception = False

    response = client.get("/audit/", query)

    assert response.status_code == 200
    [field] = query
    assert field in response.context["filter"].form.errors
    assert 'class="field-error"' in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [{"actor": "a" * 100_000}, {"actor": "a" * 255}, {"actor": "\x00"}, {"date_to": "9" * 50_000}],
    ids=["actor-100k", "actor-255", "actor-nul", "date-50k"],
)
def test_a_long_or_odd_audit_filter_makes_the_export_answer_400(client, admin, query):
    _event(admin.tenant)
    sign_in(client, admin)
    client.raise_request_exception = False

    response = client.get("/audit/export/", query)

    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/audit/", "/audit/export/"])
def test_a_nul_character_in_an_audit_filter_is_a_bad_request(client, admin, path):
    sign_in(client, admin)

    response = client.get(path, {"actor": "admin\x00"})

    assert response.status_code == 400


def test_the_actor_filter_takes_a_whole_sign_in_name(client, admin):
    name = "a" * 64 + "@" + "b" * 180 + ".example"  # 254 characters: the longest stored
    kept = _event(admin.tenant, actor_label=name)
    _event(admin.tenant, actor_label="someone@contoso.example")
    sign_in(client, admin)

    assert _listed(client.get("/audit/", {"actor": name})) == [kept]
    response = client.get("/audit/export/", {"actor": name})
    assert response.status_code == 200
    assert [row[1] for row in _csv_rows(response)[1:]] == [name]


def test_the_actor_field_tells_the_browser_its_limit(client, admin):
    sign_in(client, admin)

    content = client.get("/audit/").content.decode()

    assert 'maxlength="254"' in content
