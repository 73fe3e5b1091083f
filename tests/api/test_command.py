"""create_api_token: an operator's API client, its secret on the last line."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import AuditEvent
from accounts.roles import GLOBAL_ADMIN, USER_ADMIN
from api.models import ApiClient
from api.services import client_for_secret

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command("create_api_token", *args, stdout=out)
    return out.getvalue().splitlines()


def test_the_secret_is_the_last_line_and_works(tenant, domain):
    lines = run(domain, "HR sync", "--role", USER_ADMIN, "--days", "30")

    client = client_for_secret(lines[-1])
    assert client is not None
    assert (client.tenant, client.name, client.roles) == (tenant, "HR sync", [USER_ADMIN])
    assert client.created_by is None
    assert 29 <= (client.expires_at - client.created_at).days <= 30
    assert "HR sync" in lines[0]
    event = AuditEvent.objects.get(action="api_client.create")
    assert event.actor is None and event.tenant == tenant


def test_the_domain_is_found_whatever_its_case_and_roles_repeat(tenant, domain):
    lines = run(f"{domain.upper()}.", "Provisioning", "--role", GLOBAL_ADMIN, "--role", USER_ADMIN)

    client = client_for_secret(lines[-1])
    assert client.roles == [GLOBAL_ADMIN, USER_ADMIN]
    assert client.tenant == tenant
    assert 364 <= (client.expires_at - client.created_at).days <= 365


def test_an_unknown_domain_is_refused_in_one_line(tenant):
    with pytest.raises(CommandError) as caught:
        run("nowhere.example", "HR sync", "--role", USER_ADMIN)

    message = str(caught.value)
    assert "nowhere.example" in message
    assert "\n" not in message
    assert not ApiClient.objects.exists()


def test_an_unknown_role_is_refused_in_one_line(tenant, domain):
    with pytest.raises(CommandError) as caught:
        run(domain, "HR sync", "--role", "pope")

    message = str(caught.value)
    assert "pope" in message and USER_ADMIN in message
    assert "\n" not in message
    assert not ApiClient.objects.exists()


@pytest.mark.parametrize("days", ["0", "731"])
def test_days_out_of_range_are_refused(tenant, domain, days):
    with pytest.raises(CommandError) as caught:
        run(domain, "HR sync", "--role", USER_ADMIN, "--days", days)

    assert "730" in str(caught.value)
    assert not ApiClient.objects.exists()


def test_a_name_in_use_is_refused(tenant, domain):
    run(domain, "HR sync", "--role", USER_ADMIN)

    with pytest.raises(CommandError) as caught:
        run(domain, "hr sync", "--role", USER_ADMIN)

    assert "Another API client has this name." in str(caught.value)
    assert ApiClient.objects.count() == 1
