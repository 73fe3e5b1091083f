"""Writes of the Resources area."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts import addresses
from accounts.audit import audit_record
from accounts.models import Tenant, User
from accounts.roles import CHANGE_RESOURCES
from core.exceptions import Forbidden
from groups.services import group_address
from resources.models import Resource

FIELDS = ("kind", "name", "capacity", "location", "booking_policy")


def _require(acting_user: User, tenant: Tenant) -> None:
    if not acting_user.has_perm(CHANGE_RESOURCES) or acting_user.tenant_id != tenant.pk:
        raise Forbidden(_("You can't change resources."))


def _address(tenant: Tenant, local_part: str, domain: str, *, current: str = "") -> str:
    email = group_address(tenant=tenant, local_part=local_part, domain=domain)
    if email != current and addresses.in_use(email):
        raise ValidationError(
            {"email": _("%(email)s is in use by a user, a group or a resource.") % {"email": email}}
        )
    return email


@transaction.atomic
def resource_save(
    *,
    tenant: Tenant,
    acting_user: User,
    resource: Resource | None = None,
    local_part: str,
    domain: str,
    request: HttpRequest | None = None,
    **fields: object,
) -> Resource:
    """Create (``resource`` None) or change a room or equipment; return it."""
    _require(acting_user, tenant)
    creating = resource is None
    resource = resource or Resource(tenant=tenant)
    old = (
        {name: str(getattr(resource, name)) for name in (*FIELDS, "email")} if not creating else {}
    )
    resource.email = _address(tenant, local_part, domain, current=resource.email)
    for name in FIELDS:
        setattr(resource, name, fields[name])
    resource.full_clean()
    try:
        with transaction.atomic():
            resource.save()
    except IntegrityError:
        raise ValidationError({"email": _("That address was just taken.")}) from None
    addresses.rename(tenant=tenant, owner=resource, address=resource.email)
    new = {name: str(getattr(resource, name)) for name in (*FIELDS, "email")}
    audit_record(
        action="resource.create" if creating else "resource.change",
        tenant=tenant,
        actor=acting_user,
        request=request,
        target=resource,
        old={k: v for k, v in old.items() if new.get(k) != v},
        new={k: v for k, v in new.items() if old.get(k) != v},
    )
    return resource


@transaction.atomic
def resource_delete(
    *, tenant: Tenant, acting_user: User, resource: Resource, request: HttpRequest | None = None
) -> None:
    _require(acting_user, tenant)
    name, email = resource.name, resource.email
    addresses.release(owner=resource)
    resource.delete()
    audit_record(
        action="resource.delete",
        tenant=tenant,
        actor=acting_user,
        request=request,
        target_type="resources.resource",
        target_label=name,
        old={"email": email},
    )
