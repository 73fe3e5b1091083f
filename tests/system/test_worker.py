"""A Celery worker on the shared Redis runs the jobs that a node (or beat) sends."""

import pytest

from bench.cluster import Cluster, services_up, wait_for

pytestmark = pytest.mark.system

_SEND = """
from datetime import timedelta
from django.utils import timezone
from accounts.models import Tenant, User
from groups.models import DeletedGroup
from groups.tasks import purge_deleted_groups
tenant = Tenant.objects.create(name="Worker")
DeletedGroup.objects.create(tenant=tenant, kind="security", name="Old",
                            deleted_at=timezone.now() - timedelta(days=90))
purge_deleted_groups.delay()
"""


def test_a_worker_runs_a_job_sent_through_redis(tmp_path):
    if not services_up():
        pytest.skip("needs this machine's PostgreSQL (5432) and Redis (6379)")
    cluster = Cluster(tmp_path, nodes=0)
    try:
        cluster.start()
        log = cluster.start_worker()
        cluster.manage("shell", "-v0", "-c", _SEND)
        wait_for(
            lambda: log.exists() and "succeeded" in log.read_text(),
            "the worker's log says the job succeeded",
            every=0.2,
        )
        assert "groups.tasks.purge_deleted_groups" in log.read_text()
        left = cluster.manage(
            "shell",
            "-v0",
            "-c",
            "from groups.models import DeletedGroup; print(DeletedGroup.objects.count())",
            capture=True,
        ).stdout.split()[-1]
        assert left == "0"
    finally:
        cluster.stop()
