"""Settings > API access: read by Global readers, managed by Global admins, secrets shown once."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.roles import GLOBAL_ADMIN, GLOBAL_READER, GROUPS_ADMIN, HELPDESK_ADMIN, USER_ADMIN
from api.models import ApiClient
from api.services import api_client_create, api_client_revoke, client_for_secret
from tests.factories import make_user
from tests.helpers import (
    assert_forbidden,
    assert_not_found,
    assert_redirects_to_signin,
    sidebar,
    sign_in,
)

pytestmark = pytest.mark.django_db

LIST = "/settings/api/"
ADD = "/settings/api/add/"
SECRET = re.compile(r'data-testid="secret">([^<]+)<')


def make_client(tenant, name="HR sync", roles=(USER_ADMIN,), **kwargs):
    client, _secret = api_client_create(
        tenant=tenant, acting_user=None, name=name, roles=list(roles), **kwargs
    )
    return client


def secret_in(response):
    found = SECRET.findall(response.content.decode())
    assert len(found) == 1, "the secret is on the page exactly once"
    return found[0]


@pytest.fixture
def reader(tenant):
    return make_user(tenant, "reader", roles=[GLOBAL_READER], display_name="Rita Reader")


def add_data(**changes):
    data = {"name": "HR sync", "roles": [USER_ADMIN], "days": "365"}
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


# --- the list ---------------------------------------------------------------------


def test_global_admin_sees_the_clients_and_the_add_button(client, tenant, admin):
    make_client(tenant, "HR sync", roles=[USER_ADMIN, GLOBAL_READER])
    gone = make_client(tenant, "Old sync")
    api_client_revoke(tenant=tenant, acting_user=None, client=gone)
    sign_in(client, admin)

    response = client.get(LIST)

    assert response.status_code == 200
    page = response.content.decode()
    assert "HR sync" in page and "Old sync" in page
    assert "User admin, Global reader" not in page  # the role table's order
    assert "Global reader, User admin" in page
    assert "Revoked" in page and "Active" in page
    assert "Never" in page  # not used yet
    assert "An operator" in page  # created at the command line
    assert 'data-testid="add-api-client"' in page
    assert 'href="/settings/api/"' in sidebar(response)


def test_the_list_shows_last_use_and_who_created_it(client, tenant, admin):
    _client, secret = api_client_create(
        tenant=tenant, acting_user=admin, name="Script", roles=[USER_ADMIN]
    )
    client_for_secret(secret, address="192.0.2.7")
    sign_in(client, admin)

    page = client.get(LIST).content.decode()

    assert "192.0.2.7" in page
    assert "Megan Bowen" in page


def test_an_empty_list_says_so_and_offers_to_add(client, admin):
    sign_in(client, admin)
    page = client.get(LIST).content.decode()
    assert 'data-testid="empty"' in page
    assert "No API clients yet." in page
    assert f'href="{ADD}"' in page


def test_global_reader_sees_the_list_without_buttons(client, tenant, reader):
    make_client(tenant)
    sign_in(client, reader)

    response = client.get(LIST)

    assert response.status_code == 200
    page = response.content.decode()
    assert "HR sync" in page
    assert 'data-testid="read-only"' in page
    assert ADD not in page
    assert 'href="/settings/api/"' in sidebar(response)


def test_global_reader_sees_a_client_without_actions(client, tenant, reader):
    api_client = make_client(tenant)
    sign_in(client, reader)

    page = client.get(f"{LIST}{api_client.pk}/").content.decode()

    assert "HR sync" in page
    assert "/rotate/" not in page and "/revoke/" not in page


@pytest.mark.parametrize("role", [HELPDESK_ADMIN, USER_ADMIN])
def test_other_admins_may_not_open_the_pages(client, tenant, role):
    api_client = make_client(tenant)
    user = make_user(tenant, roles=[role])
    sign_in(client, user)

    for url in (LIST, ADD, f"{LIST}{api_client.pk}/", f"{LIST}{api_client.pk}/rotate/"):
        assert_forbidden(client.get(url))
    assert "/settings/api/" not in sidebar(client.get("/"))


def test_anonymous_visitors_are_sent_to_sign_in(client):
    assert_redirects_to_signin(client.get(LIST), LIST)


# --- adding ----------------------------------------------------------------------


def test_global_admin_adds_a_client_and_sees_its_secret_once(
    client, tenant, admin, django_capture_on_commit_callbacks
):
    sign_in(client, admin)
    form = client.get(ADD).content.decode()
    assert 'value="365" selected' in form
    assert "Resets passwords of users without a role" in form  # each role's description

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ADD, add_data(roles=[USER_ADMIN, HELPDESK_ADMIN], days="90"))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    secret = secret_in(response)
    assert "shown only this once" in page
    assert f"Authorization: Bearer {secret}" in page
    assert f'href="{LIST}"' in page
    created = ApiClient.objects.get()
    assert (created.tenant, created.name, created.created_by) == (tenant, "HR sync", admin)
    assert created.roles == [USER_ADMIN, HELPDESK_ADMIN]
    assert 89 <= (created.expires_at - created.created_at).days <= 90
    assert client_for_secret(secret) == created
    assert secret not in client.get(LIST).content.decode()
    [notice] = mail.outbox
    assert notice.to == [admin.username]
    assert "HR sync" in notice.body


def test_a_global_admin_client_needs_the_confirmation(client, admin):
    sign_in(client, admin)

    refused = client.post(ADD, add_data(roles=[GLOBAL_ADMIN]))

    assert refused.status_code == 200
    page = refused.content.decode()
    assert "Confirm that this client may act as a Global admin." in page
    assert 'id="id_confirm_global_admin_error"' in page
    assert not ApiClient.objects.exists()

    done = client.post(ADD, add_data(roles=[GLOBAL_ADMIN], confirm_global_admin="on"))
    assert client_for_secret(secret_in(done)).roles == [GLOBAL_ADMIN]


def test_every_error_shows_at_once(client, admin):
    sign_in(client, admin)

    page = client.post(ADD, add_data(name="", roles=[GLOBAL_ADMIN], days="0")).content.decode()

    for field in ("name", "confirm_global_admin", "days"):
        assert f'id="id_{field}_error"' in page
    assert 'value="global_admin" id="id_roles_0" checked' in page  # the choice is kept
    assert not ApiClient.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "Enter a name."),
        ({"name": "   "}, "name", "Enter a name."),
        ({"name": "x" * 101}, "name", "at most 100 characters"),
        ({"roles": None}, "roles", "Choose at least one role."),
        ({"roles": ["pope"]}, "roles", "Select a valid choice."),
        ({"days": "0"}, "days", "Select a valid choice."),
        ({"days": "731"}, "days", "Select a valid choice."),
        ({"days": "soon"}, "days", "Select a valid choice."),
    ],
)
def test_bad_input_is_shown_at_the_field_and_adds_nothing(client, admin, changes, field, message):
    sign_in(client, admin)

    response = client.post(ADD, add_data(**changes))

    assert response.status_code == 200
    page = response.content.decode()
    assert f'id="id_{field}_error"' in page
    assert message in page
    assert 'data-testid="secret"' not in page
    assert not ApiClient.objects.exists()


def test_a_name_in_use_is_refused_at_the_field(client, tenant, admin):
    make_client(tenant, "HR sync")
    sign_in(client, admin)

    response = client.post(ADD, add_data(name="hr  SYNC"))

    assert "Another API client has this name." in response.content.decode()
    assert ApiClient.objects.count() == 1


def test_global_reader_may_not_add(client, reader):
    sign_in(client, reader)
    assert_forbidden(client.get(ADD))
    assert_forbidden(client.post(ADD, add_data()))
    assert not ApiClient.objects.exists()


# --- one client ----------------------------------------------------------------------


def test_the_detail_page_shows_the_properties_and_actions(client, tenant, admin):
    api_client = make_client(tenant, roles=[USER_ADMIN, GROUPS_ADMIN])
    sign_in(client, admin)

    page = client.get(f"{LIST}{api_client.pk}/").content.decode()

    assert "HR sync" in page
    assert "User admin, Groups admin" in page
    assert api_client.key_id in page
    assert f"/settings/api/{api_client.pk}/rotate/" in page
    assert f"/settings/api/{api_client.pk}/revoke/" in page


def test_a_revoked_client_shows_no_actions(client, tenant, admin):
    api_client = make_client(tenant)
    api_client_revoke(tenant=tenant, acting_user=None, client=api_client)
    sign_in(client, admin)

    page = client.get(f"{LIST}{api_client.pk}/").content.decode()

    assert "Revoked" in page
    assert "/rotate/" not in page and "/revoke/" not in page
    assert 'data-testid="no-actions"' in page


def expire(api_client):
    ApiClient.objects.filter(pk=api_client.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )


def test_an_expired_client_shows_no_actions(client, tenant, admin):
    api_client = make_client(tenant)
    expire(api_client)
    sign_in(client, admin)

    page = client.get(f"{LIST}{api_client.pk}/").content.decode()

    assert "Expired" in page
    assert "/rotate/" not in page and "/revoke/" not in page
    refused = client.post(f"{LIST}{api_client.pk}/rotate/", {"grace_hours": "0"})
    assert "This API client has expired." in refused.content.decode()
    assert 'data-testid="secret"' not in refused.content.decode()


def test_another_organizations_client_is_not_found(client, other_tenant, admin):
    theirs = make_client(other_tenant)
    sign_in(client, admin)

    for url in (f"{LIST}{theirs.pk}/", f"{LIST}{theirs.pk}/rotate/", f"{LIST}{theirs.pk}/revoke/"):
        assert_not_found(client.get(url))
    assert_not_found(client.post(f"{LIST}{theirs.pk}/rotate/", {"grace_hours": "0"}))
    assert_not_found(client.post(f"{LIST}{theirs.pk}/revoke/"))
    theirs.refresh_from_db()
    assert theirs.revoked_at is None and theirs.rotated_at is None


# --- rotating ----------------------------------------------------------------------


def test_global_admin_changes_the_secret_with_a_grace_period(
    client, tenant, admin, django_capture_on_commit_callbacks
):
    api_client, old_secret = api_client_create(
        tenant=tenant, acting_user=None, name="HR sync", roles=[USER_ADMIN]
    )
    url = f"{LIST}{api_client.pk}/rotate/"
    sign_in(client, admin)
    form = client.get(url).content.decode()
    assert '<option value="168">' in form

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"grace_hours": "24"})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    new_secret = secret_in(response)
    assert new_secret != old_secret
    assert "24 more hours" in response.content.decode()
    assert client_for_secret(new_secret) == api_client
    assert client_for_secret(old_secret) == api_client  # during the grace period
    assert len(mail.outbox) == 1


def test_changing_the_secret_without_grace_ends_the_old_one(client, tenant, admin):
    api_client, old_secret = api_client_create(
        tenant=tenant, acting_user=None, name="HR sync", roles=[USER_ADMIN]
    )
    sign_in(client, admin)

    response = client.post(f"{LIST}{api_client.pk}/rotate/", {"grace_hours": "0"})

    assert client_for_secret(secret_in(response)) == api_client
    assert client_for_secret(old_secret) is None


@pytest.mark.parametrize("grace", ["5", "169", "-1", "later", ""])
def test_a_grace_period_not_offered_is_refused(client, tenant, admin, grace):
    api_client = make_client(tenant)
    sign_in(client, admin)

    response = client.post(f"{LIST}{api_client.pk}/rotate/", {"grace_hours": grace})

    assert response.status_code == 200
    assert 'id="id_grace_hours_error"' in response.content.decode()
    api_client.refresh_from_db()
    assert api_client.rotated_at is None


def test_a_revoked_clients_secret_is_not_changed(client, tenant, admin):
    api_client = make_client(tenant)
    api_client_revoke(tenant=tenant, acting_user=None, client=api_client)
    sign_in(client, admin)

    response = client.post(f"{LIST}{api_client.pk}/rotate/", {"grace_hours": "0"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "This API client is revoked." in page
    assert 'data-testid="secret"' not in page


def test_global_reader_may_not_change_a_secret(client, tenant, reader):
    api_client = make_client(tenant)
    sign_in(client, reader)

    assert_forbidden(client.post(f"{LIST}{api_client.pk}/rotate/", {"grace_hours": "0"}))

    api_client.refresh_from_db()
    assert api_client.rotated_at is None


# --- revoking ----------------------------------------------------------------------


def test_global_admin_revokes_after_confirming(client, tenant, admin):
    api_client, secret = api_client_create(
        tenant=tenant, acting_user=None, name="HR sync", roles=[USER_ADMIN]
    )
    url = f"{LIST}{api_client.pk}/revoke/"
    sign_in(client, admin)
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "Revoke HR sync?" in confirm.content.decode()

    response = client.post(url)

    assert response.status_code == 302
    assert response.url == LIST
    assert client_for_secret(secret) is None
    api_client.refresh_from_db()
    assert api_client.revoked_at is not None
    assert "HR sync was revoked." in client.get(LIST).content.decode()


def test_revoking_twice_says_it_is_revoked(client, tenant, admin):
    api_client = make_client(tenant)
    sign_in(client, admin)
    client.post(f"{LIST}{api_client.pk}/revoke/")

    again = client.post(f"{LIST}{api_client.pk}/revoke/")

    assert again.status_code == 200
    assert "This API client is revoked." in again.content.decode()


def test_global_reader_may_not_revoke(client, tenant, reader):
    api_client = make_client(tenant)
    sign_in(client, reader)

    assert_forbidden(client.get(f"{LIST}{api_client.pk}/revoke/"))
    assert_forbidden(client.post(f"{LIST}{api_client.pk}/revoke/"))

    api_client.refresh_from_db()
    assert api_client.revoked_at is None


def test_posts_need_the_csrf_token(tenant, admin):
    from django.test import Client

    api_client = make_client(tenant)
    browser = sign_in(Client(enforce_csrf_checks=True), admin)

    assert browser.post(ADD, add_data()).status_code == 403
    assert browser.post(f"{LIST}{api_client.pk}/revoke/").status_code == 403
    assert browser.post(f"{LIST}{api_client.pk}/rotate/", {"grace_hours": "0"}).status_code == 403
    assert ApiClient.objects.count() == 1


def test_the_pages_read_in_dutch(client, tenant):
    dutch = make_user(tenant, "nl", roles=[GLOBAL_ADMIN], preferred_language="nl")
    make_client(tenant)
    sign_in(client, dutch)

    page = client.get(LIST).content.decode()
    assert "API-toegang" in page
    assert "Actief" in page
    assert "Nooit" in page
    secret_page = client.post(ADD, add_data(name="Tweede"))
    assert "Kopieer het geheim nu" in secret_page.content.decode()


def test_the_list_reads_the_same_few_queries_for_many_clients(
    client, tenant, admin, django_assert_max_num_queries
):
    sign_in(client, admin)
    make_client(tenant, "First")
    client.get(LIST)
    with django_assert_max_num_queries(12) as few:
        client.get(LIST)
    for n in range(20):
        make_client(tenant, f"Script {n}", roles=[USER_ADMIN, GROUPS_ADMIN])
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(LIST).content.decode()
    assert "Script 19" in page
