from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save

from core import pagecache


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self):
        # Any row of an organization saved or deleted renders its cached pages afresh.
        post_save.connect(pagecache.row_saved, dispatch_uid="core.pagecache.row_saved")
        post_delete.connect(pagecache.row_deleted, dispatch_uid="core.pagecache.row_deleted")
