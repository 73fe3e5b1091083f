"""The one namespace of addresses that sign-in names, groups and resources share.

A user's sign-in name, a group's address and a room's or equipment's address
come from one namespace across all organizations: nobody takes an address
another holds. Looking in the three tables before an insert races (two
requests both find the address free and both insert), so each holder also
claims its address here, inside the transaction that gives it the address.
The unique ``AddressClaim.address`` makes the database refuse the second of
two concurrent claims; the loser's transaction then rolls back as a whole.

Addresses are compared as the sign-in name is: NFKC-normalized, trimmed,
lower-cased, the domain in its ASCII form (``UserManager.normalize_username``).
A deleted user's or group's address is free for others, so deleting one
releases its claim and restoring it claims again.
"""

from collections.abc import Iterable, Iterator, Sequence

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from accounts.models import AddressClaim, Tenant, UserManager

# The models whose rows hold an address, and the field that holds it, by label
# so that this module imports no area. Rows written without a claim (by the
# operators' site, the demo seeding, or before claims existed) still count, and
# a claim whose owner no longer holds the address is taken over, not kept forever.
HOLDERS = {
    "accounts.user": "username",
    "groups.group": "email",
    "resources.resource": "email",
}

# How many addresses one query asks about (SQLite allows 32,766 parameters a statement).
CHUNK = 10_000

normalize = UserManager.normalize_username


def taken_error(address: str) -> ValidationError:
    """Return the error for ``address`` held by someone else, on the ``email`` field."""
    return ValidationError(
        {
            "email": ValidationError(
                _("%(email)s is in use by a user, a group or a resource."),
                code="address_taken",
                params={"email": address},
            )
        }
    )


def _owner_type(owner: models.Model) -> ContentType:
    # A proxy (DeletedUser, DeletedGroup) claims as its concrete model.
    return ContentType.objects.get_for_model(owner)


def _holder_models() -> Iterator[tuple[type[models.Model], str]]:
    for label, field in HOLDERS.items():
        app_label, model_name = label.split(".")
        try:
            yield apps.get_model(app_label, model_name), field
        except LookupError:  # an area that is not installed holds nothing
            continue


def _held_elsewhere(wanted: Sequence[tuple[models.Model, str]]) -> set[str]:
    """Return the addresses of ``wanted``, ``[(owner, address)]``, that another row holds.

    Rows without a claim count too. One query per holder model and ``CHUNK``
    addresses.
    """
    found = set()
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        addresses = [address for _owner, address in chunk]
        for model, field in _holder_models():
            # Left out here, not in the query: NOT IN a long list is slow on PostgreSQL.
            own = {owner.pk for owner, _address in chunk if owner._meta.concrete_model is model}
            rows = model._base_manager.filter(**{f"{field}__in": addresses})
            found.update(value for pk, value in rows.values_list("pk", field) if pk not in own)
    return found


def _refusal(taken: ValidationError | None, address: str) -> ValidationError:
    return taken if taken is not None else taken_error(address)


def _still_held(claim: AddressClaim) -> bool:
    """Return whether ``claim``'s owner still holds its address (unknown owners do)."""
    owner_type = ContentType.objects.get_for_id(claim.owner_type_id)
    field = HOLDERS.get(f"{owner_type.app_label}.{owner_type.model}")
    model = owner_type.model_class()
    if field is None or model is None:
        return True
    value = model._base_manager.filter(pk=claim.owner_id).values_list(field, flat=True).first()
    return value is not None and normalize(value) == claim.address


def _insert(claim: AddressClaim) -> bool:
    """Insert ``claim``; return False when its address is claimed by an owner who holds it."""
    for _attempt in range(2):
        try:
            with transaction.atomic():
                claim.save(force_insert=True)
            return True
        except IntegrityError:
            pass
        # The insert waited for a claimant still in its transaction; it committed.
        # Locked, so that two takers-over of a stale claim do not both win.
        existing = AddressClaim.objects.select_for_update().filter(address=claim.address).first()
        if existing is not None:
            if (existing.owner_type_id, existing.owner_id) == (
                claim.owner_type_id,
                claim.owner_id,
            ):
                claim.pk = existing.pk
                return True
            if _still_held(existing):
                return False
            existing.delete()
        # The conflicting claim is gone, or was the owner's earlier address: retry.
        AddressClaim.objects.filter(
            owner_type_id=claim.owner_type_id, owner_id=claim.owner_id
        ).exclude(address=claim.address).delete()
    return False


def claim(
    *,
    tenant: Tenant | None,
    address: str,
    owner: models.Model,
    taken: ValidationError | None = None,
) -> AddressClaim | None:
    """Claim ``address`` (normalized) for ``owner``, a saved user, group or resource.

    Call it inside the transaction that gives ``owner`` the address, once
    ``owner`` has an id. Claiming an address the owner holds already is harmless.
    Raise ``taken`` (a ValidationError; by default ``taken_error(address)``,
    code "address_taken") when anyone else holds the address, including one
    claimed by a transaction that commits first. An empty address claims
    nothing. Return the claim, or None.
    """
    address = normalize(address)
    if not address:
        return None
    if _held_elsewhere([(owner, address)]):
        raise _refusal(taken, address)
    new = AddressClaim(
        tenant=tenant, address=address, owner_type=_owner_type(owner), owner_id=owner.pk
    )
    if not _insert(new):
        raise _refusal(taken, address)
    return new


def claim_all(
    *,
    tenant: Tenant | None,
    owners: Iterable[tuple[models.Model, str]],
    taken: ValidationError | None = None,
) -> list[AddressClaim]:
    """Claim each address of ``owners``, ``[(owner, address)]``, all or none.

    For many new owners at once (an import): a bulk insert. Raise ``taken`` (or
    ``taken_error`` of the first address taken) when any address is claimed by
    someone else; nothing is claimed then. Unlike ``claim`` it does not look for
    rows that hold an address without a claim (thousands of addresses cost a
    second or so per table): the caller has looked already, as the import does.
    """
    wanted = [(owner, normalize(address)) for owner, address in owners]
    wanted = [(owner, address) for owner, address in wanted if address]
    if not wanted:
        return []
    tenant_id = tenant.pk if tenant is not None else None
    claims = [
        AddressClaim(
            tenant_id=tenant_id,
            address=address,
            owner_type_id=_owner_type(owner).pk,
            owner_id=owner.pk,
        )
        for owner, address in wanted
    ]
    try:
        with transaction.atomic():
            return AddressClaim.objects.bulk_create(claims, batch_size=1000)
    except IntegrityError:
        pass
    # Some address is claimed: one by one, taking over claims whose owner let go.
    with transaction.atomic():
        for new in claims:
            if not _insert(new):
                raise _refusal(taken, new.address)
    return claims


def release(*, owner: models.Model) -> int:
    """Free ``owner``'s address (deleted, or losing its address); return how many were freed."""
    deleted, _by_model = AddressClaim.objects.filter(
        owner_type=_owner_type(owner), owner_id=owner.pk
    ).delete()
    return deleted


def rename(
    *,
    tenant: Tenant | None,
    owner: models.Model,
    address: str,
    taken: ValidationError | None = None,
) -> AddressClaim | None:
    """Move ``owner``'s claim to ``address`` (empty: release it); return the claim or None.

    Call it inside the transaction that changes ``owner``'s address. Raise
    ``taken`` as ``claim`` does; the old address stays claimed then.
    """
    address = normalize(address)
    with transaction.atomic():
        current = AddressClaim.objects.filter(
            owner_type=_owner_type(owner), owner_id=owner.pk
        ).first()
        if current is not None and current.address == address:
            return current
        if current is not None:
            current.delete()
        return claim(tenant=tenant, address=address, owner=owner, taken=taken)


def in_use(address: str) -> bool:
    """Return whether anyone holds ``address``: a claim, or a row written without one."""
    address = normalize(address)
    return AddressClaim.objects.filter(address=address).exists() or any(
        model._base_manager.filter(**{field: address}).exists() for model, field in _holder_models()
    )


def claimed_in(addresses: Iterable[str]) -> dict[str, int | None]:
    """Return ``{address: tenant id}`` of the claimed ones among ``addresses`` (normalized).

    One query: give at most ``CHUNK`` addresses at a time.
    """
    return dict(
        AddressClaim.objects.filter(address__in=list(addresses)).values_list("address", "tenant_id")
    )
