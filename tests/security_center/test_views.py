"""The Admin centers and Security center pages: who sees what, filters, CSV, queries."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client as client_class
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import AuditEvent
from accounts.roles import (
    BILLING_ADMIN,
    GLOBAL_ADMIN,
    GLOBAL_READER,
    GROUPS_ADMIN,
    HELPDESK_ADMIN,
    REPORTS_READER,
    ROLES,
    USER_ADMIN,
    VIEW_SIGNINS,
)
from admin_portal import navigation
from security_center import selectors
from security_center.models import ICON_CHOICES, AdminCenter, SignIn
from tests.accounts.test_admin import verified_operator_client
from tests.factories import make_user
from tests.helpers import assert_forbidden, make_alt_email, make_app, make_phone, sidebar, sign_in

pytestmark = pytest.mark.django_db

PAGES = [
    "/admin-centers/security/",
    "/admin-centers/security/sign-ins/",
    "/admin-centers/security/methods/",
    "/admin-centers/security/settings/",
]
SIGNIN_READERS = [GLOBAL_ADMIN, GLOBAL_READER, HELPDESK_ADMIN, USER_ADMIN]
OTHERS = [GROUPS_ADMIN, BILLING_ADMIN, REPORTS_READER]


def attempt(tenant, user=None, *, days_ago=0, reason="", username="", **fields):
    return SignIn.objects.create(
        tenant=tenant,
        user=user,
        username=user.username if user else username,
        result="failure" if reason else "success",
        reason=reason,
        created_at=timezone.now() - timedelta(days=days_ago, minutes=1),
        **fields,
    )


def csv_of(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_the_sign_in_log_is_granted_to_exactly_the_four_roles():
    holders = {code for code, role in ROLES.items() if VIEW_SIGNINS in role.permissions}
    assert holders == set(SIGNIN_READERS)


@pytest.mark.parametrize("role", SIGNIN_READERS)
def test_the_security_center_opens_for_its_roles(client, tenant, role):
    sign_in(client, make_user(tenant, roles=[role]))
    for page in PAGES:
        assert client.get(page).status_code == 200, page
    tiles = client.get("/admin-centers/").content.decode()
    assert "/admin-centers/security/" in tiles


@pytest.mark.parametrize("role", OTHERS)
def test_other_admins_get_403_and_no_security_center_tile(client, tenant, role):
    sign_in(client, make_user(tenant, roles=[role]))
    for page in PAGES:
        assert_forbidden(client.get(page))
    response = client.get("/admin-centers/")
    assert response.status_code == 200
    assert "/admin-centers/security/" not in response.content.decode()
    assert "/admin-centers/" in sidebar(response)


def test_people_without_a_role_get_no_admin_centers(client, tenant):
    sign_in(client, make_user(tenant))
    assert_forbidden(client.get("/admin-centers/"))
    assert_forbidden(client.get("/admin-centers/security/sign-ins/"))


def test_admin_centers_is_the_last_item_of_the_left_nav(admin_client):
    nav = sidebar(admin_client.get("/admin-centers/"))
    assert nav.rindex('href="/admin-centers/"') > nav.rindex('href="/health/')
    assert 'aria-current="page"' in nav[nav.rindex("<a", 0, nav.rindex('href="/admin-centers/"')) :]


def test_the_log_shows_only_the_organizations_own_attempts(admin_client, tenant, other_tenant):
    anna = make_user(tenant, "anna", display_name="Anna Lee")
    theirs = make_user(other_tenant, "tom")
    attempt(tenant, anna, reason="blocked")
    attempt(other_tenant, theirs, reason="wrong_password")
    attempt(None, username="ghost@nowhere.example", reason="wrong_password")
    content = admin_client.get("/admin-centers/security/sign-ins/").content.decode()
    assert anna.username in content
    assert "Sign-in blocked by an admin" in content
    assert theirs.username not in content and "ghost@" not in content
    rows = csv_of(admin_client.get("/admin-centers/security/sign-ins/", {"export": "csv"}))
    assert [row[1] for row in rows[1:]] == [anna.username]


def test_filters_by_person_result_and_period(admin_client, tenant):
    anna = make_user(tenant, "anna", display_name="Anna Lee")
    bob = make_user(tenant, "bob", display_name="Bob Stone")
    attempt(tenant, anna, reason="wrong_password")
    attempt(tenant, anna)
    attempt(tenant, bob, reason="locked_out", days_ago=10)

    def people(**params):
        rows = csv_of(
            admin_client.get("/admin-centers/security/sign-ins/", {"export": "csv", **params})
        )
        return sorted((row[1].split("@")[0], row[2]) for row in rows[1:])

    assert people(person="ann") == [("anna", "Failure"), ("anna", "Success")]
    assert people(person="Bob S") == [("bob", "Failure")]
    assert people(result="failure") == [("anna", "Failure"), ("bob", "Failure")]
    assert people(period="7") == [("anna", "Failure"), ("anna", "Success")]
    assert people(period="30", result="failure", person="bob") == [("bob", "Failure")]
    page = admin_client.get("/admin-centers/security/sign-ins/", {"result": "failure"})
    assert bob.username in page.content.decode()


def test_a_crafted_filter_is_a_field_error_and_a_400_for_the_export(admin_client):
    page = admin_client.get("/admin-centers/security/sign-ins/", {"period": "9999"})
    assert page.status_code == 200
    export = admin_client.get("/admin-centers/security/sign-ins/", {"period": "x", "export": "csv"})
    assert export.status_code == 400


def test_the_csv_has_every_column_and_the_user_agent(admin_client, tenant):
    anna = make_user(tenant, "anna")
    attempt(
        tenant,
        anna,
        reason="second_step_failed",
        method="text_message",
        browser="Chrome 131",
        operating_system="Windows 10",
        ip_address="203.0.113.7",
        user_agent="Mozilla/5.0 (Windows NT 10.0)",
    )
    header, row = csv_of(admin_client.get("/admin-centers/security/sign-ins/?export=csv"))
    assert header[:8] == [
        "Time",
        "Person",
        "Result",
        "Failure reason",
        "Second step",
        "Browser",
        "Operating system",
        "IP address",
    ]
    assert row[1:] == [
        anna.username,
        "Failure",
        "Second step failed",
        "Text message",
        "Chrome 131",
        "Windows 10",
        "203.0.113.7",
        "second_step_failed",
        "Mozilla/5.0 (Windows NT 10.0)",
    ]
    assert row[0].endswith(("+00:00", "+01:00"))


@pytest.mark.parametrize("count", [3, 60])
def test_the_log_page_reads_the_same_few_queries_however_many_rows(
    client, tenant, count, django_assert_max_num_queries
):
    reader = make_user(tenant, roles=[GLOBAL_READER])
    people = [make_user(tenant) for _n in range(3)]
    for n in range(count):
        attempt(tenant, people[n % 3], reason="wrong_password" if n % 2 else "")
    sign_in(client, reader)
    with django_assert_max_num_queries(6):
        response = client.get("/admin-centers/security/sign-ins/?person=user&result=failure")
    assert response.status_code == 200


@pytest.mark.parametrize("page", [*PAGES, "/admin-centers/"])
def test_every_page_stays_within_the_query_budget(
    client, tenant, page, django_assert_max_num_queries
):
    reader = make_user(tenant, roles=[GLOBAL_READER])
    for _n in range(20):
        user = make_user(tenant)
        attempt(tenant, user)
        audit_record(action="security_info.phone.add", tenant=tenant, target=user)
    AdminCenter.objects.create(name="Mail", url="https://mail.example", roles=[GLOBAL_READER])
    sign_in(client, reader)
    with django_assert_max_num_queries(8):
        assert client.get(page).status_code == 200


def test_methods_activity_counts_registrations_and_resets_per_day_and_method(
    admin_client, tenant, other_tenant
):
    anna = make_user(tenant, "anna")
    for action in ["security_info.phone.add", "security_info.app.add", "security_info.app.add"]:
        audit_record(action=action, tenant=tenant, target=anna)
    audit_record(
        action="password_reset.gate_passed", tenant=tenant, target=anna, new={"method": "email"}
    )
    audit_record(action="password.reset_self", tenant=tenant, target=anna)
    audit_record(action="security_info.phone.add", tenant=other_tenant, target=anna)
    activity = selectors.methods_activity(tenant=tenant)
    (today,) = activity["days"]
    assert today.registrations["security_info.phone.add"] == 1
    assert today.registrations["security_info.app.add"] == 2
    assert today.resets == 1 and today.verifications == {"email": 1, "phone": 0, "app": 0}
    assert activity["totals"].registered == 3
    content = admin_client.get("/admin-centers/security/methods/").content.decode()
    assert 'data-testid="registered-total">3<' in content
    assert 'data-testid="resets-total">1<' in content


def test_activity_older_than_the_period_is_left_out(tenant):
    AuditEvent.objects.create(
        tenant=tenant,
        action="security_info.phone.add",
        created_at=timezone.now() - timedelta(days=31),
    )
    audit_record(action="security_info.app.add", tenant=tenant)
    activity = selectors.methods_activity(tenant=tenant, days=30)
    assert activity["totals"].registrations["security_info.phone.add"] == 0
    assert activity["totals"].registered == 1


def test_who_cannot_reset_matches_security_infos_figures(admin_client, tenant):
    admin_one_method = make_user(tenant, "adm1", roles=[HELPDESK_ADMIN], display_name="Ada One")
    make_phone(admin_one_method)
    admin_two = make_user(tenant, "adm2", roles=[USER_ADMIN], display_name="Ben Two")
    make_phone(admin_two)
    make_app(admin_two)
    make_user(tenant, "anna", display_name="Anna None")
    user_email = make_user(tenant, "carl", display_name="Carl Mail")
    make_alt_email(user_email)
    people = selectors.users_unable_to_reset(tenant=tenant)
    total = people.count()
    names = [person.display_name for person in people]
    assert "Ada One" in names and "Anna None" in names
    assert "Ben Two" not in names and "Carl Mail" not in names
    figures = dict(selectors.reset_readiness(tenant=tenant))
    assert total == sum(f["stuck"] for f in figures.values())
    content = admin_client.get("/admin-centers/security/methods/").content.decode()
    assert "Anna None" in content and "Carl Mail" not in content


def test_everyone_who_cannot_reset_can_be_seen_page_by_page(admin_client, tenant):
    for n in range(60):
        make_user(tenant, f"stuck{n:02d}", display_name=f"Stuck {n:02d}")
    total = selectors.users_unable_to_reset(tenant=tenant).count()
    assert total > 60  # and the admin who signed in, without methods
    first = admin_client.get("/admin-centers/security/methods/").content.decode()
    assert "Stuck 00" in first and "Stuck 59" not in first
    assert f"{total} items" in first and 'href="?page=2"' in first
    second = admin_client.get("/admin-centers/security/methods/", {"page": "2"}).content.decode()
    assert "Stuck 59" in second and "Stuck 00" not in second


def test_registrations_per_day_has_an_intro_and_a_total_under_the_reports_names(
    admin_client, tenant
):
    anna = make_user(tenant, "anna")
    for action in ["security_info.passkey.add", "security_info.passkey.add"]:
        audit_record(action=action, tenant=tenant, target=anna)
    audit_record(action="security_info.phone.add", tenant=tenant, target=anna)
    content = admin_client.get("/admin-centers/security/methods/").content.decode()
    table = content[content.index('data-testid="registrations-table"') :]
    table = table[: table.index("</table>")]
    assert "Methods registered each day, per method; days without any are left out." in content
    # The same name as Reports > Security info registrations.
    assert '<th scope="col">Passkey or security key</th>' in table
    assert "Passkeys" not in table
    total = table[table.index("<tfoot>") :]
    assert '<th scope="row">Total</th><td>1</td>' in total
    assert "<td>2</td>" in total


def test_the_settings_page_shows_the_organizations_and_platforms_settings(client, tenant, settings):
    tenant.reset_gates_for_users = 2
    tenant.password_expiry_days = 90
    tenant.save()
    settings.PORTAL_LOCKOUT_ATTEMPTS = 7
    admin = make_user(tenant, roles=[GLOBAL_ADMIN])
    sign_in(client, admin)
    content = client.get("/admin-centers/security/settings/").content.decode()
    assert "After 90 days" in content
    assert "7 failures, then locked for 15 minutes" in content
    assert 'href="/settings/security/"' in content
    helpdesk = make_user(tenant, roles=[HELPDESK_ADMIN])
    sign_in(client, helpdesk)
    response = client.get("/admin-centers/security/settings/")
    content = response.content.decode()
    assert 'href="/settings/security/"' not in content
    assert "After 90 days" in content


def test_external_admin_centers_are_shown_only_to_their_roles(client, tenant):
    AdminCenter.objects.create(
        name="Exchange",
        description="Mail and calendars",
        url="https://exchange.example/admin",
        icon="mail",
        roles=[GLOBAL_ADMIN, USER_ADMIN],
    )
    AdminCenter.objects.create(
        name="Billing portal", url="https://pay.example", roles=[BILLING_ADMIN]
    )
    sign_in(client, make_user(tenant, roles=[USER_ADMIN]))
    content = client.get("/admin-centers/").content.decode()
    assert (
        'href="https://exchange.example/admin" target="_blank" rel="noopener noreferrer"' in content
    )
    assert "Mail and calendars" in content and "Billing portal" not in content
    sign_in(client, make_user(tenant, roles=[GROUPS_ADMIN]))
    content = client.get("/admin-centers/").content.decode()
    assert "Exchange" not in content and "None of the admin centers is for your roles." in content


@pytest.mark.parametrize(
    "url", ["http://exchange.example", "javascript:alert(1)", "ftp://files.example", "exchange"]
)
def test_an_external_admin_center_needs_an_https_address(url):
    center = AdminCenter(name="Exchange", url=url, roles=[GLOBAL_ADMIN])
    with pytest.raises(ValidationError) as error:
        center.full_clean()
    assert "url" in error.value.message_dict


def test_an_external_admin_centers_roles_must_exist():
    center = AdminCenter(name="X", url="https://x.example", roles=["superhero"])
    with pytest.raises(ValidationError) as error:
        center.full_clean()
    assert "roles" in error.value.message_dict


def test_the_icons_to_choose_from_are_the_navs_own():
    used = set()
    for node in (*navigation.MENU, *navigation.SELF_SERVICE_MENU):
        used.add(node.icon)
        used.update(item.icon for item in getattr(node, "items", ()))
    assert {code for code, _label in ICON_CHOICES} <= used


def test_operators_add_an_external_admin_center_in_their_site(client):
    operator_client = verified_operator_client(client)
    # The operator's own sign-in is no organization's: in no organization's log.
    assert SignIn.objects.get().tenant is None
    assert SignIn.objects.get().method == "backup_code"
    add = "/operators/security_center/admincenter/add/"
    assert operator_client.get(add).status_code == 200
    response = operator_client.post(
        add,
        {
            "name": "Exchange",
            "description": "Mail",
            "url": "http://exchange.example",
            "icon": "mail",
            "roles": [GLOBAL_ADMIN],
            "position": 0,
        },
    )
    assert response.status_code == 200 and not AdminCenter.objects.exists()
    response = operator_client.post(
        add,
        {
            "name": "Exchange",
            "description": "Mail",
            "url": "https://exchange.example",
            "icon": "mail",
            "roles": [GLOBAL_ADMIN, HELPDESK_ADMIN],
            "position": 0,
        },
    )
    assert response.status_code == 302
    center = AdminCenter.objects.get()
    assert center.roles == [GLOBAL_ADMIN, HELPDESK_ADMIN]
    assert AuditEvent.objects.filter(action="operator.add", target_label="Exchange").exists()


def test_an_attempt_refused_by_a_lock_shows_at_once_on_the_cached_log(client, tenant, settings):
    from tests.helpers import lock_out

    settings.PORTAL_PAGE_CACHE_SECONDS = 600
    anna = make_user(tenant, "anna")
    reader = make_user(tenant, roles=[GLOBAL_READER])
    lock_out(anna.username)
    sign_in(client, reader)
    client.get("/admin-centers/security/sign-ins/")  # sets the CSRF cookie, part of the key
    assert anna.username not in client.get("/admin-centers/security/sign-ins/").content.decode()
    anonymous = client_class()
    assert (
        anonymous.post(
            "/signin/", {"username": anna.username, "password": "Whatever-1"}
        ).status_code
        == 429
    )
    assert not AuditEvent.objects.filter(action="signin.failure").exists()
    assert "Locked out" in client.get("/admin-centers/security/sign-ins/").content.decode()
