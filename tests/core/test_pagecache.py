"""Pages kept for the session that asked, until the organization changes (core.pagecache)."""

import pytest
from django.conf import settings
from django.contrib import messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.cache import SessionStore
from django.core.cache import cache
from django.db import connection, transaction
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.views import View

from accounts import services as account_services
from accounts.audit import audit_record
from accounts.roles import GLOBAL_ADMIN, GLOBAL_READER, USER_ADMIN
from core import pagecache
from tests.factories import make_tenant, make_user
from tests.helpers import sign_in
from users import services as user_services

pytestmark = pytest.mark.django_db

URL = "/users/"
# What a signed-in request reads whatever the page: the user with their roles, and the
# session where sessions are kept in the database (the embedded default).
SIGNED_IN_QUERIES = 2 if settings.SESSION_ENGINE.endswith(".db") else 1


def page(client, path=URL, **kwargs):
    response = client.get(path, **kwargs)
    assert response.status_code == 200
    return response.content.decode()


def version(tenant, scope=pagecache.DATA):
    return cache.get(pagecache._version_key(tenant.pk, scope))


def test_a_page_seen_again_is_served_without_its_queries(
    client, tenant, admin, django_assert_num_queries
):
    sign_in(client, admin)
    page(client)  # the first page sets the CSRF cookie, which is part of the key
    first = page(client)
    # The signed-in user and their roles (the permission is checked on every request)
    # are read, and the session where sessions live in the database; none of the
    # page's own queries is made.
    with django_assert_num_queries(SIGNED_IN_QUERIES):
        again = page(client)
    assert again == first


def test_a_change_through_a_service_shows_at_once(client, tenant, admin):
    adele = make_user(tenant, "adele", display_name="Adele Vance")
    sign_in(client, admin)
    assert "Blocked" not in page(client)
    user_services.users_sign_in_block(tenant=tenant, acting_user=admin, users=[adele], blocked=True)
    assert "Blocked" in page(client)


def test_a_change_made_outside_any_service_shows_at_once(client, tenant, admin):
    sign_in(client, admin)
    assert "Adele Vance" not in page(client)
    make_user(tenant, "adele", display_name="Adele Vance")
    assert "Adele Vance" in page(client)


def test_a_change_through_the_pages_shows_at_once(client, tenant, admin):
    adele = make_user(tenant, "adele", display_name="Adele Vance")
    sign_in(client, admin)
    assert "Allowed" in page(client, f"/users/{adele.pk}/")
    response = client.post(f"/users/{adele.pk}/block/", {})
    assert response.status_code == 302
    assert "Blocked" in page(client, f"/users/{adele.pk}/")


def test_another_session_of_the_same_person_renders_its_own_page(tenant, admin):
    first, second = sign_in(Client(), admin), sign_in(Client(), admin)
    page(first)
    page(second)
    assert page(first) != page(second)  # each holds its own session's form tokens
    first_secret = first.cookies[settings.CSRF_COOKIE_NAME].value
    assert first_secret != second.cookies[settings.CSRF_COOKIE_NAME].value


def test_another_role_never_sees_a_page_kept_for_a_global_admin(tenant, admin):
    reader = make_user(tenant, "reader", roles=[GLOBAL_READER])
    admin_page = page(sign_in(Client(), admin))
    assert "Add a user" in admin_page
    assert "Add a user" not in page(sign_in(Client(), reader))


def test_another_organization_never_sees_a_kept_page(tenant, admin):
    other = make_tenant()
    stranger = make_user(other, "stranger", roles=[GLOBAL_ADMIN], display_name="Other Admin")
    assert "Megan Bowen" in page(sign_in(Client(), admin))
    body = page(sign_in(Client(), stranger))
    assert "Megan Bowen" not in body and "Other Admin" in body


def test_a_lost_role_is_refused_on_the_next_request(client, tenant, admin):
    helper = make_user(tenant, "helper", roles=[USER_ADMIN])
    sign_in(client, helper)
    page(client)
    account_services.role_remove(tenant=tenant, user=helper, role=USER_ADMIN, acting_user=admin)
    assert client.get(URL).status_code in (302, 403)


def test_the_language_is_part_of_the_key(rf, tenant, admin):
    request = rf.get(URL)
    request.tenant, request.user = tenant, admin
    request.session = SessionStore()
    request.session.create()
    with translation.override("en"):
        english = pagecache._page_key(request)
    with translation.override("nl"):
        dutch = pagecache._page_key(request)
    assert english != dutch


class Probe(pagecache.CachedPageMixin, View):
    renders = 0

    def get(self, request):
        Probe.renders += 1
        return HttpResponse(f"render {Probe.renders}")


def probe(rf, tenant, admin, session, *, message=None):
    request = rf.get("/probe/")
    request.tenant, request.user, request.session = tenant, admin, session
    request._messages = FallbackStorage(request)
    if message:
        messages.success(request, message)
    return Probe.as_view()(request).content.decode()


def test_a_page_with_a_message_is_rendered_and_not_kept(rf, tenant, admin):
    session = SessionStore()
    session.create()
    Probe.renders = 0
    assert probe(rf, tenant, admin, session) == "render 1"
    assert probe(rf, tenant, admin, session) == "render 1"
    assert probe(rf, tenant, admin, session, message="Saved.") == "render 2"
    assert probe(rf, tenant, admin, session) == "render 1"


def test_sign_ins_renew_event_pages_only(tenant, admin):
    data, events = version(tenant), version(tenant, pagecache.EVENTS)
    audit_record(action="signin.success", tenant=tenant, actor=admin)
    assert version(tenant) == data
    assert version(tenant, pagecache.EVENTS) != events
    events = version(tenant, pagecache.EVENTS)
    audit_record(action="user.change", tenant=tenant, actor=admin)
    assert version(tenant) != data and version(tenant, pagecache.EVENTS) != events


def test_the_audit_log_shows_a_sign_in_at_once(client, tenant, admin):
    sign_in(client, admin)
    assert "<td>Signed in</td>" not in page(client, "/audit/")
    audit_record(action="signin.success", tenant=tenant, actor=admin)
    assert "<td>Signed in</td>" in page(client, "/audit/")


@pytest.mark.django_db(transaction=True)
def test_a_change_renews_the_version_again_at_commit(tenant, admin):
    """A page rendered between the change and the commit saw the old rows: its token dies."""
    before = version(tenant)
    with transaction.atomic():
        make_user(tenant, "adele")
        make_user(tenant, "brian")
        during = version(tenant)
        assert during != before
    assert version(tenant) not in (before, during)


def test_a_sign_in_time_saved_alone_changes_nothing(tenant, admin):
    before = version(tenant)
    admin.save(update_fields=["last_login"])
    assert version(tenant) == before


def test_organization_cached_follows_the_version(tenant):
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert pagecache.organization_cached(tenant.pk, "figure", compute, timeout=60) == 1
    assert pagecache.organization_cached(tenant.pk, "figure", compute, timeout=60) == 1
    pagecache.organization_changed(tenant.pk)
    assert pagecache.organization_cached(tenant.pk, "figure", compute, timeout=60) == 2


def test_turned_off_every_request_renders(client, tenant, admin, settings):
    settings.PORTAL_PAGE_CACHE_SECONDS = 0
    sign_in(client, admin)
    page(client)
    with CaptureQueriesContext(connection) as queries:
        page(client)
    assert len(queries) > SIGNED_IN_QUERIES


def test_a_hard_reload_renders_the_page_afresh(client, tenant, admin, django_assert_num_queries):
    sign_in(client, admin)
    page(client)
    page(client)
    with django_assert_num_queries(SIGNED_IN_QUERIES):
        page(client)
    with CaptureQueriesContext(connection) as queries:
        page(client, headers={"cache-control": "no-cache"})
    assert len(queries) > SIGNED_IN_QUERIES


def test_a_users_page_shows_their_sign_in_at_once(client, tenant, admin):
    adele = make_user(tenant, "adele", display_name="Adele Vance")
    sign_in(client, admin)
    path = f"/users/{adele.pk}/"
    assert "Signed in" not in page(client, path)
    audit_record(action="signin.success", tenant=tenant, actor=adele, target=adele)
    assert "Signed in" in page(client, path)


def test_a_row_saved_renews_both_versions(tenant):
    data, events = version(tenant), version(tenant, pagecache.EVENTS)
    make_user(tenant, "adele")
    assert version(tenant) != data and version(tenant, pagecache.EVENTS) != events
