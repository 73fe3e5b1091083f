"""Work that runs after the request that asked for it.

``enqueue`` sends a Celery task to the workers through Redis. Without a broker
(the embedded default, where Celery runs tasks eagerly, in the sending process)
it runs the task with ``start`` instead: in a background thread of this process,
so the request that asked for it does not wait. With ``CELERY_TASK_ALWAYS_EAGER``
set explicitly (tests) the task runs at once, in the caller. A job records its
own progress in the database, so whichever node serves the page that polls it
sees the same figures.
"""

import logging
import threading
import time

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)


def start(func, /, *args, **kwargs):
    """Run ``func(*args, **kwargs)`` in a background thread of this process."""

    def run():
        try:
            func(*args, **kwargs)
        except Exception:
            # The job marks itself failed; this keeps the traceback for operators.
            logger.exception("Background job %s failed", getattr(func, "__name__", func))
        finally:
            # A thread has its own database connections: close them when done.
            connections.close_all()

    threading.Thread(target=run, name=f"job-{func.__name__}", daemon=True).start()


def enqueue(task, /, *args):
    """Send ``task(*args)`` to the workers, or run it in this process when there are none.

    Send ids, never secrets: the arguments travel through Redis as JSON.
    """
    if task.app.conf.task_always_eager and settings.PORTAL_JOBS_IN_THREAD:
        start(task, *args)
    else:
        task.delay(*args)  # to the workers, or (eager) here and now


def enqueue_later(task, delay, /, *args):
    """Send ``task(*args)`` to the workers to run in ``delay`` seconds.

    Without a broker it waits in a background thread of this process; with
    ``CELERY_TASK_ALWAYS_EAGER`` set explicitly (tests) it runs at once.
    """
    if not task.app.conf.task_always_eager:
        task.apply_async(args, countdown=delay)
    elif settings.PORTAL_JOBS_IN_THREAD:
        start(_after, delay, task, *args)
    else:
        task(*args)


def _after(delay, task, *args):
    time.sleep(delay)
    task(*args)
