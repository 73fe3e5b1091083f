"""The operator commands: createtenant and seed_demo."""

import io
import re

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.management.commands.seed_demo import DEMO_ACCOUNTS, demo_user_fields
from accounts.models import AuditEvent, Domain, RoleAssignment, Tenant, User
from accounts.partners import accesses_in_force
from accounts.roles import GLOBAL_ADMIN, REPORTS_READER, ROLES
from tests.factories import PASSWORD, make_tenant, make_user
from tests.helpers import sign_in

pytestmark = pytest.mark.django_db

DEMO_PASSWORD = "Contoso-Demo-2026"
ORDINARY_USER = re.compile(r"^[a-z]+\.[a-z]+\.\d{5,}@contoso\.example$")


@pytest.fixture(autouse=True)
def _no_password_env(monkeypatch):
    """Keep the developer's environment out of the tests."""
    monkeypatch.delenv("PORTAL_ADMIN_PASSWORD", raising=False)
    monkeypatch.delenv("PORTAL_DEMO_PASSWORD", raising=False)


@pytest.fixture
def debug(settings):
    """Run as a development instance, where seed_demo may use its default password."""
    settings.DEBUG = True


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def run(*args, **options):
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def createtenant(name="Fabrikam", domain="fabrikam.example", admin=None, **options):
    args = [name, "--domain", domain, "--admin", admin or f"admin@{domain}"]
    for option, value in options.items():
        args += [f"--{option}", value]
    return run("createtenant", *args)


def row_counts():
    return {
        model.__name__: model.objects.count()
        for model in (Tenant, Domain, User, RoleAssignment, AuditEvent)
    }


def ordinary_users():
    return [
        u for u in User.objects.filter(tenant__name="Contoso") if ORDINARY_USER.match(u.username)
    ]


# createtenant


def test_createtenant_creates_tenant_initial_domain_and_global_admin():
    out = createtenant("Fabrikam", "Fabrikam.example", "Admin@fabrikam.example", password=PASSWORD)

    tenant = Tenant.objects.get(name="Fabrikam")
    domain = tenant.domain_set.get()
    assert domain.name == "fabrikam.example"
    assert (domain.is_initial, domain.is_default, domain.is_verified) == (True, True, True)
    admin = tenant.users.get()
    assert admin.username == "admin@fabrikam.example"
    assert admin.role_codes == {GLOBAL_ADMIN}
    assert authenticate(None, username="admin@fabrikam.example", password=PASSWORD) == admin
    assert AuditEvent.objects.filter(tenant=tenant, action="tenant.create").count() == 1
    assert "Fabrikam" in out
    assert "fabrikam.example" in out
    assert "admin@fabrikam.example" in out
    assert len(out.strip().splitlines()) == 1


def test_createtenant_country_defaults_to_setting(settings):
    settings.PORTAL_DEFAULT_COUNTRY = "BE"
    createtenant(password=PASSWORD)
    assert Tenant.objects.get().country.code == "BE"


def test_createtenant_takes_country_code_in_any_case():
    createtenant(password=PASSWORD, country="de")
    assert Tenant.objects.get().country.code == "DE"


def test_createtenant_refuses_taken_domain_and_writes_nothing():
    make_tenant(domain="taken.example")
    before = row_counts()
    with pytest.raises(CommandError, match=r"taken\.example is already taken"):
        createtenant(domain="taken.example", password=PASSWORD)
    assert row_counts() == before


def test_createtenant_refuses_admin_outside_the_domain_and_writes_nothing():
    with pytest.raises(CommandError, match=r"must end in @fabrikam\.example"):
        createtenant(admin="admin@other.example", password=PASSWORD)
    assert row_counts() == dict.fromkeys(row_counts(), 0)


def test_createtenant_refuses_weak_password_and_writes_nothing():
    with pytest.raises(CommandError, match="too common") as excinfo:
        createtenant(password="password")
    assert "\n" not in str(excinfo.value)
    assert row_counts() == dict.fromkeys(row_counts(), 0)


def test_createtenant_refuses_unknown_country_and_writes_nothing():
    with pytest.raises(CommandError, match="Unknown country code 'XX'"):
        createtenant(password=PASSWORD, country="XX")
    assert row_counts() == dict.fromkeys(row_counts(), 0)


def test_createtenant_refuses_bad_domain():
    with pytest.raises(CommandError, match="not a valid domain name"):
        createtenant(domain="localhost", admin="admin@localhost", password=PASSWORD)
    assert not Tenant.objects.exists()


def test_createtenant_uses_password_from_environment(monkeypatch):
    monkeypatch.setenv("PORTAL_ADMIN_PASSWORD", "From-The-Env-77")
    createtenant()
    assert authenticate(None, username="admin@fabrikam.example", password="From-The-Env-77")


def test_createtenant_password_option_wins_over_environment(monkeypatch):
    monkeypatch.setenv("PORTAL_ADMIN_PASSWORD", "From-The-Env-77")
    createtenant(password=PASSWORD)
    assert authenticate(None, username="admin@fabrikam.example", password=PASSWORD)


def test_createtenant_prompts_twice_for_password_on_a_terminal(monkeypatch):
    prompts = []
    monkeypatch.setattr("getpass.getpass", lambda prompt: prompts.append(prompt) or PASSWORD)
    run(
        "createtenant",
        "Fabrikam",
        "--domain=fabrikam.example",
        "--admin=admin@fabrikam.example",
        stdin=_Terminal(),
    )
    assert len(prompts) == 2
    assert authenticate(None, username="admin@fabrikam.example", password=PASSWORD)


def test_createtenant_refuses_mismatching_prompted_passwords_and_writes_nothing(monkeypatch):
    answers = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    with pytest.raises(CommandError, match="did not match"):
        run(
            "createtenant",
            "Fabrikam",
            "--domain=fabrikam.example",
            "--admin=admin@fabrikam.example",
            stdin=_Terminal(),
        )
    assert row_counts() == dict.fromkeys(row_counts(), 0)


def test_createtenant_without_password_or_terminal_fails(monkeypatch):
    monkeypatch.setattr("getpass.getpass", pytest.fail)
    with pytest.raises(CommandError, match="No password given"):
        run(
            "createtenant",
            "Fabrikam",
            "--domain=fabrikam.example",
            "--admin=admin@fabrikam.example",
            stdin=io.StringIO(),
        )
    assert not Tenant.objects.exists()


def test_tenants_made_with_createtenant_see_none_of_each_others_users():
    createtenant("Fabrikam", "fabrikam.example", password=PASSWORD)
    createtenant("Tailspin", "tailspin.example", password=PASSWORD)
    fabrikam = Tenant.objects.get(name="Fabrikam")
    tailspin = Tenant.objects.get(name="Tailspin")
    make_user(fabrikam, "anna")

    assert {u.username for u in User.objects.for_tenant(fabrikam)} == {
        "admin@fabrikam.example",
        "anna@fabrikam.example",
    }
    assert {u.username for u in User.objects.for_tenant(tailspin)} == {"admin@tailspin.example"}


# createsuperuser (platform operators)


def test_createsuperuser_without_input_needs_only_a_name_and_a_password(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Operator-Pass-2026")
    monkeypatch.delenv("DJANGO_SUPERUSER_DISPLAY_NAME", raising=False)

    run("createsuperuser", "--noinput", "--username", "Ops@Hosting.example")

    operator = User.objects.get(username="ops@hosting.example")
    assert (operator.tenant, operator.is_staff, operator.is_superuser) == (None, True, True)
    assert operator.display_name == "ops"
    assert operator.check_password("Operator-Pass-2026")


# seed_demo


def test_seed_demo_creates_one_admin_per_role_and_a_user_without_role(debug):
    run("seed_demo", "--users", "3")

    tenant = Tenant.objects.get(name="Contoso")
    domain = tenant.domain_set.get()
    assert domain.name == "contoso.example"
    assert (domain.is_initial, domain.is_default, domain.is_verified) == (True, True, True)
    roles = {
        u.username: u.role_codes
        for u in User.objects.for_tenant(tenant)
        .active()
        .exclude(username__regex=ORDINARY_USER.pattern)
    }
    assert roles == {
        "admin@contoso.example": {"global_admin"},
        "reader@contoso.example": {"global_reader"},
        "useradmin@contoso.example": {"user_admin"},
        "helpdesk@contoso.example": {"helpdesk_admin"},
        "groupsadmin@contoso.example": {"groups_admin"},
        "billing@contoso.example": {"billing_admin"},
        "support@contoso.example": {"service_support_admin"},
        "reports@contoso.example": {"reports_reader"},
        "user@contoso.example": set(),
    }
    assert {codes for codes in roles.values() if codes} == {frozenset({r}) for r in ROLES}


def test_seed_demo_creates_requested_number_of_ordinary_users_without_password(debug):
    run("seed_demo", "--users", "25")

    users = ordinary_users()
    assert len(users) == 25
    assert User.objects.filter(tenant__name="Contoso").active().count() == 25 + len(DEMO_ACCOUNTS)
    assert not any(u.has_usable_password() for u in users)
    assert all(u.first_name and u.last_name and u.job_title and u.department for u in users)
    assert len({u.last_name for u in users}) > 10
    assert len({u.department for u in users}) > 5
    users[0].full_clean()


def test_seed_demo_defaults_to_fifty_ordinary_users(debug):
    run("seed_demo")
    assert len(ordinary_users()) == 50


def test_seed_demo_gives_each_ordinary_user_the_same_data_every_time(debug):
    run("seed_demo", "--users", "42")

    fields = demo_user_fields(42)
    assert fields == demo_user_fields(42)
    assert fields["username"].endswith(".00042@contoso.example")
    user = User.objects.get(username=fields["username"])
    assert (user.first_name, user.last_name, user.job_title, user.department) == (
        fields["first_name"],
        fields["last_name"],
        fields["job_title"],
        fields["department"],
    )


def test_seed_demo_twice_changes_nothing(debug):
    run("seed_demo", "--users", "20")
    before = row_counts()
    hashes = dict(User.objects.values_list("username", "password"))

    out = run("seed_demo", "--users", "20")

    assert row_counts() == before
    assert dict(User.objects.values_list("username", "password")) == hashes
    # Contoso and its partner, Fabrikam Partners, each made once.
    assert AuditEvent.objects.filter(action="tenant.create").count() == 2
    assert "added 0 users" in out


def test_seed_demo_gives_contoso_a_partner_whose_helpdesk_acts_in_it(debug):
    out = run("seed_demo", "--users", "5")
    assert "partnerdesk@fabrikam.example" in out
    desk = User.objects.get(username="partnerdesk@fabrikam.example")
    assert desk.tenant.is_partner
    [access] = accesses_in_force(desk)
    assert access.relationship.customer.name == "Contoso"
    assert access.roles == ["helpdesk_admin"]


def test_seed_demo_with_more_users_adds_only_the_missing_ones(debug):
    run("seed_demo", "--users", "5")
    first_ids = {u.username: u.pk for u in ordinary_users()}

    out = run("seed_demo", "--users", "8")

    users = ordinary_users()
    assert len(users) == 8
    assert {u.username: u.pk for u in users if u.username in first_ids} == first_ids
    assert "added 3 users" in out


def test_demo_admin_signs_in_with_the_demo_password(debug):
    run("seed_demo", "--users", "0")

    user = authenticate(None, username="admin@contoso.example", password=DEMO_PASSWORD)
    assert user is not None
    assert user.role_codes == {GLOBAL_ADMIN}
    assert authenticate(None, username="user@contoso.example", password=DEMO_PASSWORD)


def test_a_second_run_leaves_existing_accounts_their_password_sessions_and_state(debug, client):
    run("seed_demo", "--users", "3")
    admin = User.objects.get(username="admin@contoso.example")
    admin.set_new_password("Changed-By-Morgan-7")
    admin.save()
    User.objects.filter(username="reader@contoso.example").update(is_sign_in_blocked=True)
    RoleAssignment.objects.filter(user__username="helpdesk@contoso.example").delete()
    sign_in(client, User.objects.get(pk=admin.pk))
    # The demo asks admins for a second factor first: Security info is where they land.
    assert client.get("/security-info/").status_code == 200
    demo = User.objects.filter(tenant__name="Contoso")
    before = {u.username: (u.password, u.get_session_auth_hash()) for u in demo}
    rows = row_counts()

    out = run("seed_demo", "--users", "3")

    assert {u.username: (u.password, u.get_session_auth_hash()) for u in demo} == before
    assert row_counts() == rows
    assert client.get("/security-info/").status_code == 200  # still signed in
    assert authenticate(None, username="admin@contoso.example", password="Changed-By-Morgan-7")
    assert User.objects.get(username="reader@contoso.example").is_sign_in_blocked
    assert not RoleAssignment.objects.filter(user__username="helpdesk@contoso.example").exists()
    lines = {line.split()[0]: line for line in out.splitlines() if "@contoso.example" in line}
    assert lines["admin@contoso.example"].endswith("(changed)")
    assert lines["reader@contoso.example"].endswith("(blocked)")
    assert lines["user@contoso.example"].endswith(DEMO_PASSWORD)
    assert "--reset-demo-accounts" in out


def test_another_demo_password_changes_no_existing_account(debug, monkeypatch):
    run("seed_demo", "--users", "0")
    hashes = dict(User.objects.values_list("username", "password"))
    monkeypatch.setenv("PORTAL_DEMO_PASSWORD", "Another-Demo-Pass-5")

    run("seed_demo", "--users", "0")

    assert dict(User.objects.values_list("username", "password")) == hashes
    assert authenticate(None, username="reader@contoso.example", password=DEMO_PASSWORD)


def test_a_deleted_demo_account_stays_deleted_and_its_areas_are_left_alone(debug):
    run("seed_demo", "--users", "3")
    User.objects.filter(username="groupsadmin@contoso.example").update(deleted_at=timezone.now())
    rows = row_counts()

    out = run("seed_demo", "--users", "3")

    assert row_counts() == rows
    assert User.objects.get(username="groupsadmin@contoso.example").deleted_at is not None
    assert "Left the demo data of Groups as it is" in out
    assert "groupsadmin@contoso.example is no active user of Contoso" in out


def test_a_demo_account_removed_for_good_is_made_again(debug):
    run("seed_demo", "--users", "0")
    User.objects.filter(username="reports@contoso.example").delete()

    run("seed_demo", "--users", "0")

    user = authenticate(None, username="reports@contoso.example", password=DEMO_PASSWORD)
    assert user is not None and user.role_codes == {REPORTS_READER}


def test_reset_demo_accounts_gives_them_the_demo_password_again(debug, monkeypatch):
    run("seed_demo", "--users", "0")
    User.objects.filter(username="helpdesk@contoso.example").update(is_sign_in_blocked=True)
    monkeypatch.setenv("PORTAL_DEMO_PASSWORD", "Another-Demo-Pass-5")

    out = run("seed_demo", "--users", "0", "--reset-demo-accounts")

    assert "Another-Demo-Pass-5" in out
    for account in DEMO_ACCOUNTS:
        assert authenticate(None, username=account.username, password="Another-Demo-Pass-5")
    assert not authenticate(None, username="reader@contoso.example", password=DEMO_PASSWORD)


def test_seed_demo_prints_sign_in_names_roles_password_and_user_count(debug):
    out = run("seed_demo", "--users", "4")

    for account in DEMO_ACCOUNTS:
        line = next(line for line in out.splitlines() if line.startswith(account.username + " "))
        assert DEMO_PASSWORD in line
        if account.role:
            assert str(ROLES[account.role].name) in line
    assert f"Users in Contoso: {4 + len(DEMO_ACCOUNTS)}" in out


def test_seed_demo_refuses_default_password_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="PORTAL_DEMO_PASSWORD"):
        run("seed_demo", "--users", "3")
    assert not Tenant.objects.exists()


def test_seed_demo_runs_without_debug_when_demo_password_is_set(settings, monkeypatch):
    settings.DEBUG = False
    monkeypatch.setenv("PORTAL_DEMO_PASSWORD", "Production-Demo-Pass-9")

    run("seed_demo", "--users", "3")

    assert authenticate(None, username="admin@contoso.example", password="Production-Demo-Pass-9")
    assert not authenticate(None, username="admin@contoso.example", password=DEMO_PASSWORD)


def test_seed_demo_refuses_weak_demo_password_and_writes_nothing(monkeypatch):
    monkeypatch.setenv("PORTAL_DEMO_PASSWORD", "password")
    with pytest.raises(CommandError, match="too common"):
        run("seed_demo", "--users", "3")
    assert row_counts() == dict.fromkeys(row_counts(), 0)
