"""API clients: create, rotate and revoke them, and know a request's client by its secret.

Every change is audited and told to the organization's Global admins by email.
A request finds its client by the secret's public key id and compares the hash
of what it sent with the stored hash, so revoking a client (a row changed in the
shared database) refuses its very next request on every node.
"""

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import services as account_services
from accounts.audit import audit_record
from accounts.models import Tenant, User
from accounts.roles import CHANGE_API_CLIENTS, GLOBAL_ADMIN, ROLES, role_names
from api.models import ApiClient
from core.exceptions import Forbidden
from core.prepared import PreparedQuery

SECRET_PREFIX = "portal"  # noqa: S105 (the public start of every secret)
DEFAULT_DAYS = 365
MAX_DAYS = 730
MAX_GRACE_HOURS = 7 * 24
# A client's last use is written at most this often (every request would be a write).
LAST_USED_EVERY = timedelta(minutes=1)


_KEY_ID = re.compile(r"[0-9a-f]{16}")  # secrets.token_hex(8)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _secret_for(key_id: str) -> str:
    """Return a new secret of the client ``key_id``: the key id is its public part."""
    return f"{SECRET_PREFIX}_{key_id}_{secrets.token_urlsafe(32).replace('_', '-')}"


def _new_secret() -> tuple[str, str]:
    """Return (key id, secret) for a new client."""
    key_id = secrets.token_hex(8)
    return key_id, _secret_for(key_id)


def _check_manager(
    acting_user: User | None, tenant: Tenant, client: ApiClient | None = None
) -> None:
    """Refuse unless ``acting_user`` manages ``tenant``'s API clients (and ``client`` is one).

    ``acting_user`` None is an operator at the command line (create_api_token).
    """
    foreign = client is not None and client.tenant_id != tenant.pk
    if foreign or (
        acting_user is not None
        and (acting_user.tenant_id != tenant.pk or not acting_user.has_perm(CHANGE_API_CLIENTS))
    ):
        raise Forbidden(_("Only a Global admin manages API clients."))


def clean_roles(roles: Iterable[str], *, global_admin_confirmed: bool) -> list[str]:
    """Return the role codes in the role table's order, or raise ValidationError."""
    chosen = set(roles)
    unknown = sorted(chosen - ROLES.keys())
    if unknown:
        raise ValidationError(
            _("Unknown role: %(roles)s.") % {"roles": ", ".join(unknown)}, code="unknown_role"
        )
    if not chosen:
        raise ValidationError(_("Choose at least one role."), code="no_role")
    if GLOBAL_ADMIN in chosen and not global_admin_confirmed:
        raise ValidationError(
            _("Confirm that this client may act as a Global admin."), code="confirm_global_admin"
        )
    return [code for code in ROLES if code in chosen]


def _notify_global_admins(tenant: Tenant, subject: str, text: str) -> None:
    account_services.global_admins_notify(
        tenant,
        subject,
        text,
        see=_("See the organization's API clients in the admin center: %(url)s")
        % {"url": f"{settings.PORTAL_BASE_URL}/settings/api/"},
        kind="API client notice",
    )


def _by_whom(acting_user: User | None) -> str:
    return acting_user.username if acting_user is not None else _("an operator")


def api_client_create(
    *,
    tenant: Tenant,
    acting_user: User | None,
    name: str,
    roles: Iterable[str],
    days: int = DEFAULT_DAYS,
    global_admin_confirmed: bool = False,
    request: HttpRequest | None = None,
) -> tuple[ApiClient, str]:
    """Create an API client of ``tenant``; return it and its secret (shown once).

    Raises ``Forbidden`` unless ``acting_user`` manages API clients (``None`` is an
    operator), ``ValidationError`` for a name taken by another active client, no
    or unknown roles, Global admin not confirmed, or ``days`` outside 1 to 730.
    """
    _check_manager(acting_user, tenant)
    name = " ".join(str(name).split())
    errors = {}
    if not name:
        errors["name"] = [ValidationError(_("Enter a name."), code="required")]
    elif len(name) > 100:
        errors["name"] = [ValidationError(_("Use at most 100 characters."), code="max_length")]
    try:
        roles = clean_roles(roles, global_admin_confirmed=global_admin_confirmed)
    except ValidationError as error:
        errors["roles"] = error.error_list
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_DAYS:
        errors["days"] = [
            ValidationError(
                _("Choose between 1 and %(max)d days.") % {"max": MAX_DAYS}, code="days"
            )
        ]
    if errors:
        raise ValidationError(errors)
    key_id, secret = _new_secret()
    now = timezone.now()
    try:
        with transaction.atomic():
            client = ApiClient.objects.create(
                tenant=tenant,
                name=name,
                roles=roles,
                key_id=key_id,
                secret_hash=_hash(secret),
                expires_at=now + timedelta(days=days),
                created_at=now,
                created_by=acting_user,
            )
    except IntegrityError:
        raise ValidationError(
            {"name": [ValidationError(_("Another API client has this name."), code="unique")]}
        ) from None
    audit_record(
        action="api_client.create",
        tenant=tenant,
        actor=acting_user,
        request=request,
        target=client,
        new={"name": name, "roles": roles, "expires_at": client.expires_at.isoformat()},
    )
    _notify_global_admins(
        tenant,
        _("An API client was added"),
        _(
            'The API client "%(name)s" was added by %(who)s. It acts with these roles: '
            "%(roles)s. It expires on %(expires)s."
        )
        % {
            "name": name,
            "who": _by_whom(acting_user),
            "roles": role_names(roles),
            "expires": client.expires_at.date().isoformat(),
        },
    )
    return client, secret


def _check_usable(client: ApiClient) -> None:
    if client.revoked_at is not None:
        raise ValidationError(_("This API client is revoked."), code="revoked")
    if client.expires_at <= timezone.now():
        raise ValidationError(_("This API client has expired."), code="expired")


def api_client_rotate(
    *,
    tenant: Tenant,
    acting_user: User | None,
    client: ApiClient,
    grace_hours: int = 0,
    request: HttpRequest | None = None,
) -> str:
    """Give ``client`` a new secret and return it (shown once).

    The old secret keeps working for ``grace_hours`` (0 to 168), so the scripts
    that use it can be changed first.
    """
    _check_manager(acting_user, tenant, client)
    if (
        not isinstance(grace_hours, int)
        or isinstance(grace_hours, bool)
        or not 0 <= grace_hours <= MAX_GRACE_HOURS
    ):
        raise ValidationError(
            {
                "grace_hours": [
                    ValidationError(
                        _("Choose between 0 and %(max)d hours.") % {"max": MAX_GRACE_HOURS},
                        code="grace_hours",
                    )
                ]
            }
        )
    with transaction.atomic():
        client = ApiClient.objects.select_for_update().get(pk=client.pk)
        _check_usable(client)
        now = timezone.now()
        secret = _secret_for(client.key_id)  # the key id names the client: it stays
        if grace_hours:
            client.previous_secret_hash = client.secret_hash
            client.previous_valid_until = now + timedelta(hours=grace_hours)
        else:
            client.previous_secret_hash, client.previous_valid_until = "", None
        client.secret_hash = _hash(secret)
        client.rotated_at = now
        client.save(
            update_fields=[
                "secret_hash",
                "previous_secret_hash",
                "previous_valid_until",
                "rotated_at",
            ]
        )
        audit_record(
            action="api_client.rotate",
            tenant=tenant,
            actor=acting_user,
            request=request,
            target=client,
            new={"grace_hours": grace_hours},
        )
    _notify_global_admins(
        tenant,
        _("An API client's secret was changed"),
        _(
            'The secret of the API client "%(name)s" was changed by %(who)s. The old '
            "secret works for %(hours)d more hours."
        )
        % {"name": client.name, "who": _by_whom(acting_user), "hours": grace_hours},
    )
    return secret


def api_client_revoke(
    *,
    tenant: Tenant,
    acting_user: User | None,
    client: ApiClient,
    request: HttpRequest | None = None,
) -> None:
    """Revoke ``client``: its secrets are refused from the next request on, on every node."""
    _check_manager(acting_user, tenant, client)
    with transaction.atomic():
        client = ApiClient.objects.select_for_update().get(pk=client.pk)
        if client.revoked_at is not None:
            raise ValidationError(_("This API client is revoked."), code="revoked")
        client.revoked_at = timezone.now()
        client.save(update_fields=["revoked_at"])
        audit_record(
            action="api_client.revoke",
            tenant=tenant,
            actor=acting_user,
            request=request,
            target=client,
        )
    _notify_global_admins(
        tenant,
        _("An API client was revoked"),
        _('The API client "%(name)s" was revoked by %(who)s. Its secret no longer works.')
        % {"name": client.name, "who": _by_whom(acting_user)},
    )


# Every API request reads its client: compiled once per process.
_CLIENT_BY_KEY = PreparedQuery(
    lambda key_id: ApiClient.objects.select_related("tenant").filter(key_id=key_id), key_id=str
)


def client_for_secret(secret: str, *, address: str | None = None) -> ApiClient | None:
    """Return the usable API client whose secret this is, or None.

    A secret of a revoked or expired client, a previous secret past its grace
    period, or one of a suspended organization finds nothing. Records when and
    from where the client was last used (at most once a minute).
    """
    parts = secret.split("_") if isinstance(secret, str) else []
    if (
        len(parts) != 3
        or parts[0] != SECRET_PREFIX
        or not _KEY_ID.fullmatch(parts[1])
        or len(secret) > 200
    ):
        return None
    found = _CLIENT_BY_KEY(key_id=parts[1])
    if not found:
        return None
    client = found[0]
    now = timezone.now()
    given = _hash(secret)
    matches = hmac.compare_digest(given, client.secret_hash) or (
        client.previous_secret_hash
        and client.previous_valid_until is not None
        and client.previous_valid_until > now
        and hmac.compare_digest(given, client.previous_secret_hash)
    )
    if not matches or not client.is_usable(now) or not client.tenant.is_active:
        return None
    # At most once a minute, whatever the address: a client used from several hosts
    # would otherwise write on every request.
    if client.last_used_at is None or now - client.last_used_at >= LAST_USED_EVERY:
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now, last_used_address=address)
        client.last_used_at, client.last_used_address = now, address
    return client
