from django.utils.translation import gettext_lazy as _

from accounts.models import User, UserManager


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
