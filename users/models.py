from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import TenantOwnedModel, User, UserManager


class DeletedUserManager(UserManager):
    use_in_migrations = False

    def get_queryset(self):
        return super().get_queryset().deleted()


class DeletedUser(User):
    """A user in the Deleted users list: only deleted rows, restorable for 30 days."""

    objects = DeletedUserManager()

    class Meta:
        proxy = True
        verbose_name = _("deleted user")
        verbose_name_plural = _("deleted users")
        default_permissions = ()

    def __str__(self):
        return self.display_name or self.deleted_username


class ImportJob(TenantOwnedModel):
    """One bulk add of users from a CSV file, and how far its background step got.

    The accounts are created at once, all or none; their passwords are hashed
    afterwards (Argon2 takes about a tenth of a second each), and the page that
    started the import polls ``hashed`` out of ``total``.
    """

    class Status(models.TextChoices):
        HASHING = "hashing", _("Setting passwords")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("started by")
    )
    created_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    file_name = models.CharField(_("file"), max_length=255, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.HASHING
    )
    total = models.PositiveIntegerField(_("users"), default=0)
    hashed = models.PositiveIntegerField(_("passwords set"), default=0)
    results_downloaded = models.BooleanField(_("results downloaded"), default=False)
    # The one-time passwords, encrypted (core.sealing), for the background
    # job to hash; emptied when the job ends. The job's message carries only the id.
    sealed_passwords = models.TextField(blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("user import")
        verbose_name_plural = _("user imports")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.file_name or _('CSV file')} ({self.total})"

    @property
    def percent(self):
        return 100 if not self.total else min(100, self.hashed * 100 // self.total)


class ExportJob(TenantOwnedModel):
    """A large Active users export, written by a background job for whoever asked.

    ``params`` is the list's query (search, filters, sort) at the time; the file
    waits encrypted (core.sealing) in ``sealed_file`` for an hour after
    it is ready, then is emptied.
    """

    class Status(models.TextChoices):
        RUNNING = "running", _("Writing the file")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    created_by = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="+", verbose_name=_("asked by")
    )
    created_at = models.DateTimeField(_("asked"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    params = models.JSONField(_("search and filters"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RUNNING
    )
    total = models.PositiveIntegerField(_("users"), default=0)
    written = models.PositiveIntegerField(_("rows written"), default=0)
    sealed_file = models.TextField(blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("user export")
        verbose_name_plural = _("user exports")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"users.csv ({self.total})"

    @property
    def percent(self):
        return 100 if not self.total else min(100, self.written * 100 // self.total)


class ReleasedLicenses(TenantOwnedModel):
    """The products whose licenses a user held when deleted; a restore gives them back.

    Deleting a user frees their licenses at once, so the organization stops
    paying for seats nobody uses; this row remembers which products they were,
    for as long as the user can be restored (it goes with the user when purged).
    """

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    # [{"sku": ..., "name": ...}]: the name as it was, to tell an admin about a
    # product the organization no longer has.
    products = models.JSONField(_("products"), default=list, blank=True)
    released_at = models.DateTimeField(_("released"), default=timezone.now)

    class Meta:
        verbose_name = _("licenses released at deletion")
        verbose_name_plural = _("licenses released at deletion")

    def __str__(self):
        return ", ".join(product["name"] for product in self.products)

    @property
    def product_names(self):
        return [product["name"] for product in self.products]
