# Load the Celery app with Django, so that tasks use it (Celery's Django guide).
from admin_portal.celery import app as celery_app

__all__ = ("celery_app",)
