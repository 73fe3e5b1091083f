"""Background jobs on Celery: every scheduled job is a registered task that does its work."""

from datetime import date, timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.roles import GLOBAL_ADMIN
from admin_portal.celery import app
from billing import tasks as billing_tasks
from billing.invoicing import previous_period
from groups.models import DeletedGroup
from groups.tasks import purge_deleted_groups
from tests.factories import make_tenant, make_user
from users.models import DeletedUser
from users.services import RESTORE_DAYS, users_delete
from users.tasks import purge_deleted_users

pytestmark = pytest.mark.django_db


def test_every_scheduled_job_names_a_registered_task():
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled <= set(app.tasks), scheduled - set(app.tasks)
    assert len(scheduled) == 10


def test_tasks_speak_json_only_and_are_acknowledged_when_done():
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True


def test_the_purge_task_removes_users_past_their_restore_period():
    tenant = make_tenant()
    admin = make_user(tenant, "admin", roles=[GLOBAL_ADMIN])
    gone, recent = make_user(tenant, "gone"), make_user(tenant, "recent")
    users_delete(tenant=tenant, acting_user=admin, users=[gone, recent])
    DeletedUser.objects.filter(pk=gone.pk).update(
        deleted_at=timezone.now() - timedelta(days=RESTORE_DAYS + 1)
    )

    assert purge_deleted_users.delay().get() == 1
    assert list(DeletedUser.objects.values_list("pk", flat=True)) == [recent.pk]


def test_the_group_purge_task_runs_its_service():
    tenant = make_tenant()
    DeletedGroup.objects.create(
        tenant=tenant, kind="security", name="Old", deleted_at=timezone.now() - timedelta(days=90)
    )
    assert purge_deleted_groups.delay().get() == 1
    assert not DeletedGroup.objects.exists()


def test_the_invoice_task_makes_last_months_invoices_once(monkeypatch):
    periods = []
    monkeypatch.setattr(
        billing_tasks, "invoices_generate", lambda period: periods.append(period) or []
    )
    monkeypatch.setattr(billing_tasks, "invoices_mark_overdue", lambda: 0)
    assert billing_tasks.generate_invoices.delay().get() == {"created": 0, "overdue": 0}
    assert periods == [previous_period()]


@pytest.mark.parametrize(
    ("today", "period"),
    [
        (date(2026, 1, 15), "2025-12"),
        (date(2026, 3, 1), "2026-02"),
        (date(2026, 12, 31), "2026-11"),
    ],
)
def test_previous_period(today, period):
    assert previous_period(today) == period


def test_the_tasks_are_registered_under_their_names():
    app.loader.import_default_modules()
    assert {
        "users.tasks.purge_deleted_users",
        "users.tasks.import_passwords_hash",
        "groups.tasks.purge_deleted_groups",
        "billing.tasks.renew_subscriptions",
        "billing.tasks.generate_invoices",
        "org_settings.tasks.recheck_domains",
        "security_info.tasks.expire_temporary_passes",
    } <= set(app.tasks)


def test_the_daily_jobs_run_at_night():
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        # Hourly, hourly, each minute, hourly.
        if name not in {
            "expire-temporary-passes",
            "expire-user-exports",
            "retry-due-messages",
            "expire-partner-relationships",
        }:
            assert entry["schedule"].hour <= {1, 2, 3, 4, 5}, name


def test_late_outbox_retries_are_swept_every_minute():
    assert settings.CELERY_BEAT_SCHEDULE["retry-due-messages"] == {
        "task": "core.tasks.retry_due_messages",
        "schedule": 60.0,
    }


@pytest.mark.parametrize(
    ("module", "task", "service", "returned", "expected"),
    [
        ("billing.tasks", "renew_subscriptions", "subscriptions_renew", (2, 1), None),
        ("org_settings.tasks", "recheck_domains", "domains_recheck", 3, 3),
        ("security_info.tasks", "expire_temporary_passes", "temporary_passes_expire", 4, 4),
    ],
)
def test_each_daily_task_calls_the_service_its_command_calls(
    monkeypatch, module, task, service, returned, expected
):
    import importlib

    tasks = importlib.import_module(module)
    calls = []
    monkeypatch.setattr(tasks, service, lambda: calls.append(service) or returned)
    result = getattr(tasks, task).delay().get()
    assert calls == [service]
    if expected is not None:
        assert result == expected


def test_without_a_broker_a_job_runs_in_a_thread_of_this_process(settings, monkeypatch):
    from core import jobs
    from users.tasks import import_passwords_hash

    started, sent = [], []
    monkeypatch.setattr(jobs, "start", lambda func, *args: started.append((func, args)))
    monkeypatch.setattr(import_passwords_hash, "delay", lambda *args: sent.append(args))
    settings.PORTAL_JOBS_IN_THREAD = True
    jobs.enqueue(import_passwords_hash, 7)
    assert started == [(import_passwords_hash, (7,))] and sent == []
    settings.PORTAL_JOBS_IN_THREAD = False
    jobs.enqueue(import_passwords_hash, 8)
    assert sent == [(8,)]
