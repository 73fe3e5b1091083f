"""Writes of the Users area: on many users at once, each change audited per user."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from accounts import services as account_services
from accounts.audit import audit_record
from accounts.models import User
from accounts.roles import CHANGE_USERS, RESET_PASSWORDS, can_reset_password

# One page of the list at most; a bulk action is not an import.
BULK_MAX = 200


def can_manage(actor, target):
    """Return whether ``actor`` may block, unblock or delete ``target``.

    Editing users needs the right permission, and the same rank rule as
    resetting passwords: nobody acts on themselves, and only a Global admin acts
    on a Global admin or another privileged admin.
    """
    return actor.has_perm(CHANGE_USERS) and can_reset_password(actor, target)


def bulk_targets(*, tenant, user_ids):
    """Return the tenant's active users ``user_ids``, ordered by name.

    Raise ValidationError "not_found" when any id is not an active user of the
    tenant (another tenant's user looks exactly like a missing one), and
    "too_many" over ``BULK_MAX``.
    """
    wanted = set(user_ids)
    if len(wanted) > BULK_MAX:
        raise ValidationError(
            _("Select at most %(max)d users at a time."),
            code="too_many",
            params={"max": BULK_MAX},
        )
    users = list(
        User.objects.for_tenant(tenant)
        .active()
        .select_related("tenant")
        .filter(pk__in=wanted)
        .order_by("display_name", "pk")
    )
    if len(users) != len(wanted):
        raise ValidationError(_("Some of those users do not exist."), code="not_found")
    return users


@transaction.atomic
def users_sign_in_block(*, tenant, acting_user, users, blocked, request=None):
    """Block (or unblock) sign-in for ``users``; return how many changed.

    Raise ValidationError "forbidden" and change nobody when ``acting_user`` may
    not manage one of them. A blocked user's sessions end at their next request.
    """
    forbidden = [user for user in users if not can_manage(acting_user, user)]
    if forbidden:
        raise ValidationError(
            _("You can't change sign-in for %(name)s."),
            code="forbidden",
            params={"name": forbidden[0].display_name},
        )
    changed = [user for user in users if user.is_sign_in_blocked != blocked]
    User.objects.filter(pk__in=[user.pk for user in changed]).update(is_sign_in_blocked=blocked)
    for user in changed:
        user.is_sign_in_blocked = blocked
        audit_record(
            action="user.block" if blocked else "user.unblock",
            tenant=tenant,
            actor=acting_user,
            request=request,
            target=user,
            old={"is_sign_in_blocked": not blocked},
            new={"is_sign_in_blocked": blocked},
        )
    if changed:
        account_services.home_counts_forget(tenant=tenant)
    return len(changed)


@sensitive_variables("passwords")
def users_password_reset(*, tenant, acting_user, users, require_change=True, request=None):
    """Give each of ``users`` a generated password; return ``[(user, password)]``.

    All or nobody: when ``acting_user`` may not reset one of them, each refused
    target is recorded and ValidationError "forbidden" is raised before any
    password changes.
    """
    forbidden = [
        user
        for user in users
        if not acting_user.has_perm(RESET_PASSWORDS) or not can_reset_password(acting_user, user)
    ]
    if forbidden:
        for user in forbidden:
            account_services.password_reset_denied(
                tenant=tenant, acting_user=acting_user, user=user, request=request
            )
        raise ValidationError(
            _("You can't reset the password of %(name)s."),
            code="forbidden",
            params={"name": forbidden[0].display_name},
        )
    passwords = []
    with transaction.atomic():
        for user in users:
            password = account_services.password_reset_by_admin(
                tenant=tenant,
                user=user,
                acting_user=acting_user,
                require_change=require_change,
                request=request,
            )
            passwords.append((user, password))
    return passwords
