"""Work that runs after the request that asked for it.

``start`` runs a function in a background thread of this process, which is all
the embedded default needs; ``PORTAL_BACKGROUND_JOBS=inline`` runs it at once
instead (tests). A job records its own progress in the database, so whichever
node serves the page that polls it sees the same figures.
"""

import logging
import threading

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)


def start(func, /, *args, **kwargs):
    """Run ``func(*args, **kwargs)`` in the background (or inline, by setting)."""
    if settings.PORTAL_BACKGROUND_JOBS == "inline":
        func(*args, **kwargs)
        return

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
