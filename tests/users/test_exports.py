"""Large Active users exports: written by a background job, followed and downloaded by who asked."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.roles import BILLING_ADMIN, GLOBAL_ADMIN, USER_ADMIN
from tests.factories import make_tenant, make_user
from tests.helpers import assert_forbidden, assert_not_found, sign_in
from users import services
from users.models import ExportJob

pytestmark = [pytest.mark.django_db, pytest.mark.tenant(domain="contoso.example")]


@pytest.fixture(autouse=True)
def _small_limit(settings):
    settings.USERS_EXPORT_BACKGROUND_ROWS = 5


@pytest.fixture(autouse=True)
def _twelve_users(tenant):
    """Fill the organization with twelve users, every other one blocked from sign-in."""
    for n in range(12):
        make_user(tenant, f"u{n:02}", display_name=f"User {n:02}", is_sign_in_blocked=n % 2 == 0)


def _rows(text):
    return list(csv.reader(io.StringIO(text)))


@pytest.fixture
def start(client, django_capture_on_commit_callbacks):
    """Ask for the export of ``query`` as the signed-in admin; the job runs when committed."""

    def do(query=""):
        confirm = client.get(f"/users/export/?{query}")
        assert confirm.status_code == 200
        assert confirm.context["query"] == query
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/users/export/", {"query": query})
        assert response.status_code == 302
        return ExportJob.objects.get(pk=response["Location"].rstrip("/").rsplit("/", 1)[1])

    return do


def test_a_small_selection_still_streams_at_once(client, tenant, admin):
    sign_in(client, admin)

    response = client.get("/users/export/", {"q": "User 01"})

    assert response.streaming
    assert not ExportJob.objects.exists()


def test_a_streamed_export_is_audited_like_a_background_one(client, tenant, admin):
    sign_in(client, admin)

    response = client.get("/users/export/", {"status": "blocked", "q": "User 0"})

    assert response.streaming
    rows = _rows(b"".join(response.streaming_content).decode())
    event = AuditEvent.objects.get(action="users.export")
    assert event.actor == admin and event.tenant == tenant
    assert event.new_values == {
        "users": len(rows) - 1,
        "query": {"status": ["blocked"], "q": ["User 0"]},
    }
    assert event.new_values["users"] == 5


def test_an_export_refused_for_its_filters_is_not_audited(client, tenant, admin):
    sign_in(client, admin)
    assert client.get("/users/export/", {"status": "maybe"}).status_code == 400
    assert not AuditEvent.objects.filter(action="users.export").exists()


def test_a_large_selection_is_offered_to_a_background_job(client, tenant, admin):
    sign_in(client, admin)

    page = client.get("/users/export/")

    assert page.status_code == 200
    assert 'data-testid="export-confirm"' in page.content.decode()
    assert "13" in page.content.decode()  # 12 users and the admin
    assert not ExportJob.objects.exists()  # a GET starts nothing
    assert not AuditEvent.objects.filter(action="users.export").exists()  # nor exports


def test_the_job_writes_the_selection_and_who_asked_downloads_it(client, start, tenant, admin):
    sign_in(client, admin)

    job = start("status=blocked&sort=-name")

    job.refresh_from_db()  # the job ran (in tests, at once)
    assert job.status == ExportJob.Status.DONE
    assert (job.total, job.written) == (6, 6)
    assert "User" not in job.sealed_file  # sealed, not plain text
    page = client.get(f"/users/export/{job.pk}/").content.decode()
    assert 'data-testid="export-download"' in page
    download = client.get(f"/users/export/{job.pk}/users.csv")
    rows = _rows(download.content.decode())
    assert rows[0][:2] == ["Display Name", "User Name"]
    assert [row[0] for row in rows[1:]] == [f"User {n:02}" for n in range(10, -1, -2)]
    assert AuditEvent.objects.get(action="users.export").new_values == {
        "users": 6,
        "query": {"status": ["blocked"], "sort": ["-name"]},
    }
    assert AuditEvent.objects.filter(action="users.export_download", actor=admin).exists()


def test_formulas_are_defused_in_the_written_file(client, start, tenant, admin):
    make_user(tenant, "evil", display_name="=HYPERLINK(evil)")
    sign_in(client, admin)

    job = start()

    text = client.get(f"/users/export/{job.pk}/users.csv").content.decode()
    assert "'=HYPERLINK(evil)" in text


def test_progress_is_a_fragment_for_htmx(client, start, tenant, admin):
    sign_in(client, admin)
    job = start()
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.RUNNING, written=4)

    fragment = client.get(f"/users/export/{job.pk}/", headers={"HX-Request": "true"})

    content = fragment.content.decode()
    assert content.lstrip().startswith('<div id="export-progress"')
    assert 'hx-trigger="every 1s"' in content
    assert "4 of 13 users written" in content


def test_invalid_filters_start_nothing(client, tenant, admin):
    sign_in(client, admin)

    assert client.get("/users/export/", {"status": "maybe"}).status_code == 400
    assert client.post("/users/export/", {"query": "status=maybe"}).status_code == 400
    assert not ExportJob.objects.exists()


def test_another_admin_of_the_organization_cannot_see_or_download_it(client, start, tenant, admin):
    sign_in(client, admin)
    job = start()
    other = make_user(tenant, "other", roles=[USER_ADMIN])
    sign_in(client, other)

    assert_not_found(client.get(f"/users/export/{job.pk}/"))
    assert_not_found(client.get(f"/users/export/{job.pk}/users.csv"))


def test_another_organization_cannot_see_it(client, start, tenant, admin):
    sign_in(client, admin)
    job = start()
    stranger = make_user(make_tenant(), "stranger", roles=[GLOBAL_ADMIN])
    sign_in(client, stranger)

    assert_not_found(client.get(f"/users/export/{job.pk}/"))


def test_a_role_without_the_users_list_cannot_export(client, tenant):
    billing = make_user(tenant, "billing", roles=[BILLING_ADMIN])
    sign_in(client, billing)

    assert_forbidden(client.get("/users/export/"))
    assert_forbidden(client.post("/users/export/", {"query": ""}))


def test_the_file_is_gone_an_hour_after_it_is_ready(client, start, tenant, admin):
    sign_in(client, admin)
    job = start()
    ExportJob.objects.filter(pk=job.pk).update(finished_at=timezone.now() - timedelta(hours=2))

    assert services.user_exports_expire() == 1

    job.refresh_from_db()
    assert (job.status, job.sealed_file) == (ExportJob.Status.EXPIRED, "")
    page = client.get(f"/users/export/{job.pk}/users.csv")
    assert page.status_code == 200
    assert 'data-testid="export-gone"' in page.content.decode()


def test_a_duplicate_delivery_of_the_task_writes_nothing_twice(client, start, tenant, admin):
    sign_in(client, admin)
    job = start()
    sealed = ExportJob.objects.get(pk=job.pk).sealed_file

    services.user_export_write(job_id=job.pk)

    assert ExportJob.objects.get(pk=job.pk).sealed_file == sealed


def test_the_progress_page_stays_within_the_query_budget(
    client, start, tenant, admin, django_assert_max_num_queries
):
    sign_in(client, admin)
    job = start()
    client.get(f"/users/export/{job.pk}/")

    with django_assert_max_num_queries(12):
        assert client.get(f"/users/export/{job.pk}/").status_code == 200
