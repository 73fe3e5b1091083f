"""Demo data of the Users area, added by ``manage.py seed_demo`` (idempotent).

The ordinary users and the demo accounts come from the command itself; this
adds a user who left, deleted and still restorable, for Deleted users.
"""

from django.contrib.auth.hashers import make_password

from accounts.management.commands.seed_demo import DOMAIN, demo_account
from accounts.models import User
from users import services

LEAVER = {
    "local": "noor.visser",
    "first_name": "Noor",
    "last_name": "Visser",
    "profile": {"job_title": "Marketing intern", "department": "Marketing", "office": "Amsterdam"},
}


def seed(*, tenant):
    """Delete one user (made for the purpose) when the organization has no deleted users."""
    if User.objects.for_tenant(tenant).deleted().exists():
        return
    admin = demo_account(tenant, "useradmin")
    username = f"{LEAVER['local']}@{DOMAIN}"
    # Restored by someone trying the demo: delete the same person again.
    user = User.objects.for_tenant(tenant).active().filter(username=username).first()
    if user is None:
        user, _password = services.user_create(
            tenant=tenant,
            acting_user=admin,
            username=username,
            display_name=f"{LEAVER['first_name']} {LEAVER['last_name']}",
            first_name=LEAVER["first_name"],
            last_name=LEAVER["last_name"],
            # No password, as the command's ordinary users: nobody signs in as
            # this user, and a restore gives them a new one.
            password_hash=make_password(None),
            profile={**LEAVER["profile"], "usage_location": tenant.country.code},
        )
    services.users_delete(tenant=tenant, acting_user=admin, users=[user])
