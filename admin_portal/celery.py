"""The Celery app: background jobs and the daily schedule, with Redis as the broker.

Workers: ``celery -A admin_portal worker``; the schedule: ``celery -A admin_portal beat``.
Each area declares its jobs in its own ``tasks.py``. Without ``REDIS_URL`` (the
embedded default) tasks run in the process that sends them (see settings).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "admin_portal.settings")

app = Celery("admin_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
