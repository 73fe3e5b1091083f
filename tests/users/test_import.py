"""Bulk add from CSV: check every row, create all or none, passwords set in the background."""

import csv
import io
import threading

import pytest
from django.contrib.auth import authenticate
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import AuditEvent, User
from accounts.roles import GLOBAL_ADMIN, GLOBAL_READER, HELPDESK_ADMIN
from tests.factories import make_user
from tests.helpers import assert_forbidden, sign_in
from users.csv_import import TEMPLATE_HEADER
from users.models import ImportJob

pytestmark = pytest.mark.django_db

URL = "/users/import/"
CONFIRM_URL = "/users/import/confirm/"


def csv_file(rows, *, delimiter=",", bom=False, name="users.csv"):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(TEMPLATE_HEADER)
    for row in rows:
        writer.writerow([row.get(column, "") for column in TEMPLATE_HEADER])
    data = buffer.getvalue().encode("utf-8")
    return SimpleUploadedFile(name, (b"\xef\xbb\xbf" if bom else b"") + data, "text/csv")


def person(domain, n, **extra):
    return {
        "User Name": f"person{n}@{domain}",
        "Display Name": f"Person {n}",
        "Department": "Sales",
        **extra,
    }


def upload_and_confirm(client, file, django_capture_on_commit_callbacks):
    checked = client.post(URL, {"file": file})
    assert 'data-testid="import-checked"' in checked.content.decode(), checked.content.decode()[
        :3000
    ]
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(CONFIRM_URL)


def test_a_good_file_adds_every_user_and_hands_out_passwords_once(
    client, admin, domain, django_capture_on_commit_callbacks
):
    sign_in(client, admin)
    rows = [
        person(domain, 1, **{"Mobile Phone": "06 12345678", "City": "Utrecht"}),
        person(domain, 2, **{"Alternate email address": "p2@example.org"}),
    ]
    done = upload_and_confirm(client, csv_file(rows), django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert done.url == f"/users/import/{job.pk}/"
    job.refresh_from_db()
    assert (job.status, job.total, job.hashed) == ("done", 2, 2)

    first = User.objects.get(username=f"person1@{domain}")
    assert first.must_change_password and first.department == "Sales"
    assert first.contact_details == {"mobile_phone": "+31612345678", "city": "Utrecht"}
    page = client.get(done.url).content.decode()
    assert "2 of 2 passwords set" in page and 'data-testid="download-results"' in page

    results = client.get(f"/users/import/{job.pk}/results.csv")
    lines = list(csv.reader(io.StringIO(results.content.decode("utf-8-sig"))))
    assert lines[0] == ["User Name", "Display Name", "Password"]
    passwords = {name: password for name, _display, password in lines[1:]}
    assert authenticate(None, username=first.username, password=passwords[first.username]) == first
    again = client.get(f"/users/import/{job.pk}/results.csv")
    assert again["Content-Type"].startswith("text/html")
    assert 'data-testid="results-gone"' in again.content.decode()

    assert AuditEvent.objects.filter(action="user.create").count() == 2
    assert AuditEvent.objects.filter(action="users.import").count() == 1
    assert AuditEvent.objects.filter(action="users.import_results").count() == 1


def test_errors_in_several_rows_are_all_reported_and_nothing_is_created(client, admin, domain):
    sign_in(client, admin)
    rows = [
        person(domain, 1),
        {"User Name": "bad@elsewhere.example", "Display Name": "Bad Domain"},
        {"User Name": f"nameless@{domain}", "Display Name": ""},
        person(domain, 4, **{"Mobile Phone": "12"}),
        {"User Name": f"megan@{domain}", "Display Name": "Taken"},
    ]
    response = client.post(URL, {"file": csv_file(rows)})
    page = response.content.decode()
    assert 'data-testid="import-errors"' in page
    for row in ("<td>3</td>", "<td>4</td>", "<td>5</td>", "<td>6</td>"):
        assert row in page
    assert "<td>2</td>" not in page
    assert User.objects.count() == 1
    report = client.get("/users/import/errors.csv").content.decode("utf-8-sig")
    assert report.splitlines()[0] == "Row,Column,Reason" and len(report.splitlines()) >= 5
    # Confirming without a checked file does nothing.
    client.post(CONFIRM_URL)
    assert User.objects.count() == 1


def test_semicolons_and_a_byte_order_mark_are_read(
    client, admin, domain, django_capture_on_commit_callbacks
):
    sign_in(client, admin)
    file = csv_file([person(domain, 1, **{"Display Name": "Zoë; Jansen"})], delimiter=";", bom=True)
    upload_and_confirm(client, file, django_capture_on_commit_callbacks)
    assert User.objects.get(username=f"person1@{domain}").display_name == "Zoë; Jansen"


def test_a_name_taken_after_the_check_creates_nobody(client, tenant, admin, domain):
    sign_in(client, admin)
    client.post(URL, {"file": csv_file([person(domain, 1), person(domain, 2)])})
    make_user(tenant, "person2")
    response = client.post(CONFIRM_URL)
    assert response.url == URL
    assert "Someone took these sign-in names" in client.get(URL).content.decode()
    assert not User.objects.filter(username=f"person1@{domain}").exists()
    assert not ImportJob.objects.exists()


def test_the_checked_file_belongs_to_the_session_that_checked_it(client, tenant, admin, domain):
    from django.test import Client

    sign_in(client, admin)
    client.post(URL, {"file": csv_file([person(domain, 1)])})
    other = sign_in(Client(), make_user(tenant, roles=[GLOBAL_ADMIN]))
    other.post(CONFIRM_URL)
    assert not User.objects.filter(username=f"person1@{domain}").exists()


def test_the_results_belong_to_the_session_that_started_the_import(
    client, tenant, admin, domain, django_capture_on_commit_callbacks
):
    from django.test import Client

    sign_in(client, admin)
    upload_and_confirm(client, csv_file([person(domain, 1)]), django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    other = sign_in(Client(), make_user(tenant, roles=[GLOBAL_ADMIN]))
    response = other.get(f"/users/import/{job.pk}/results.csv")
    assert 'data-testid="results-gone"' in response.content.decode()


def test_ten_thousand_rows_are_added_in_one_go(
    client, admin, domain, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    sign_in(client, admin)
    file = csv_file([person(domain, n) for n in range(10_000)])
    checked = client.post(URL, {"file": file})
    assert "10,000 users are ready to add" in checked.content.decode()
    # Bulk inserts and updates: far fewer queries than rows.
    with django_assert_max_num_queries(1000), django_capture_on_commit_callbacks(execute=True):
        client.post(CONFIRM_URL)
    assert User.objects.filter(department="Sales").count() == 10_000
    assert ImportJob.objects.get().hashed == 10_000


def test_template_download_has_the_header_and_a_bom(client, admin):
    sign_in(client, admin)
    response = client.get("/users/import/template.csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeffUser Name,First Name,Last Name,Display Name,")


@pytest.mark.parametrize("role", [HELPDESK_ADMIN, GLOBAL_READER])
def test_roles_that_cannot_add_users_cannot_import(client, tenant, domain, role):
    sign_in(client, make_user(tenant, roles=[role]))
    assert_forbidden(client.get(URL))
    assert_forbidden(client.post(URL, {"file": csv_file([person(domain, 1)])}))
    assert_forbidden(client.get("/users/import/template.csv"))
    assert not User.objects.filter(username=f"person1@{domain}").exists()


@pytest.mark.django_db(transaction=True)
def test_passwords_are_set_by_a_background_thread(settings, tenant, admin, domain):
    from users import services
    from users.csv_import import parse_users_csv

    settings.PORTAL_JOBS_IN_THREAD = True  # the embedded default, without Redis
    result = parse_users_csv(csv_file([person(domain, n) for n in range(30)]).read(), tenant=tenant)
    job, _results = services.users_import(tenant=tenant, acting_user=admin, rows=result.rows)
    for thread in threading.enumerate():
        if thread.name.startswith("job-"):  # core.jobs.start's thread
            thread.join(timeout=600)  # a guard against a hang, not a time limit
    job.refresh_from_db()
    assert (job.status, job.hashed) == ("done", 30)
    assert not User.objects.filter(username__startswith="person", password__startswith="!").exists()


@pytest.mark.django_db(transaction=True)
def test_the_workers_get_only_the_job_id_never_a_password(
    settings, monkeypatch, tenant, admin, domain
):
    from users import services
    from users.csv_import import parse_users_csv
    from users.tasks import import_passwords_hash

    sent = []
    monkeypatch.setattr(import_passwords_hash, "delay", lambda *args: sent.append(args))
    conf = import_passwords_hash.app.conf
    conf.task_always_eager = False  # as with workers: the task goes to the queue
    try:
        result = parse_users_csv(
            csv_file([person(domain, n) for n in range(3)]).read(), tenant=tenant
        )
        job, results = services.users_import(tenant=tenant, acting_user=admin, rows=result.rows)
    finally:
        conf.task_always_eager = True

    [(job_id,)] = sent
    assert job_id == job.pk
    passwords = [row.split(",")[-1].strip() for row in results.splitlines()[1:]]
    assert len(passwords) == 3 and all(passwords)
    # Until hashed they wait on the job's row, sealed.
    job.refresh_from_db()
    assert not any(password in job.sealed_passwords for password in passwords)

    # A worker reads them from the row and sets them; the row keeps none.
    import_passwords_hash.apply(args=(job_id,))
    job.refresh_from_db()
    assert (job.status, job.hashed, job.sealed_passwords) == ("done", 3, "")
    username = f"person0@{domain}"
    assert authenticate(username=username, password=passwords[0]) is not None


@pytest.mark.django_db
def test_a_broken_seal_fails_the_import_job(tenant, admin):
    from core.sealing import SealBroken
    from users.tasks import import_passwords_hash

    job = ImportJob.objects.create(
        tenant=tenant, created_by=admin, total=1, sealed_passwords="not-a-seal"
    )
    with pytest.raises(SealBroken):
        import_passwords_hash(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and job.finished_at is not None
    assert job.sealed_passwords == ""


def test_the_hashing_job_is_sent_only_the_import_id(
    client, admin, domain, monkeypatch, django_capture_on_commit_callbacks
):
    """No one-time password travels through the broker, nor waits anywhere in plain text."""
    from django.core.cache import cache

    from admin_portal.celery import app
    from users.tasks import import_passwords_hash

    sent = []
    monkeypatch.setattr(
        import_passwords_hash,
        "apply_async",
        lambda args=None, kwargs=None, **options: sent.append((args, kwargs)),
    )
    sign_in(client, admin)
    app.conf.task_always_eager = False  # as with workers: the message goes to the queue
    try:
        upload_and_confirm(
            client,
            csv_file([person(domain, n) for n in range(3)]),
            django_capture_on_commit_callbacks,
        )
    finally:
        app.conf.task_always_eager = True
    job = ImportJob.objects.get()
    assert sent == [((job.pk,), {})]
    assert job.status == "hashing" and job.sealed_passwords
    cached = [cache.get(key) for key in cache_keys("users-import:results")]

    import_passwords_hash.apply(args=sent[0][0])  # what a worker does with the message

    job.refresh_from_db()
    assert (job.status, job.hashed, job.sealed_passwords) == ("done", 3, "")
    results = client.get(f"/users/import/{job.pk}/results.csv").content.decode("utf-8-sig")
    passwords = {row[0]: row[2] for row in list(csv.reader(io.StringIO(results)))[1:]}
    assert len(passwords) == 3
    for username, password in passwords.items():
        assert authenticate(None, username=username, password=password).username == username
        assert password not in repr(sent)
        assert password not in repr(cached)
    assert not User.objects.filter(username__startswith="person", password__startswith="!").exists()


def cache_keys(part):
    """Return the keys of the default cache that contain ``part`` (either backend)."""
    from django.core.cache import cache
    from django.core.cache.backends.redis import RedisCache

    if isinstance(cache, RedisCache) or (
        hasattr(cache, "_cache") and hasattr(cache._cache, "get_client")
    ):
        client = cache._cache.get_client()
        prefix = f"{cache.key_prefix}:{cache.version}:"
        return [
            key.decode().removeprefix(prefix) for key in client.scan_iter(match=f"{prefix}*{part}*")
        ]
    return [key.split(":", 2)[2] for key in cache._cache if part in key]


def test_a_second_delivery_of_a_finished_job_does_nothing(
    tenant, admin, domain, django_capture_on_commit_callbacks
):
    from users import services
    from users.csv_import import parse_users_csv
    from users.tasks import import_passwords_hash

    rows = parse_users_csv(csv_file([person(domain, 1)]).read(), tenant=tenant).rows
    with django_capture_on_commit_callbacks(execute=True):
        job, _results = services.users_import(tenant=tenant, acting_user=admin, rows=rows)
    hashed = User.objects.get(username=f"person1@{domain}").password
    import_passwords_hash.delay(job.pk)
    job.refresh_from_db()
    assert (job.status, job.hashed) == ("done", 1)
    assert User.objects.get(username=f"person1@{domain}").password == hashed
