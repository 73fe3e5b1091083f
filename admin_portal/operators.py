"""What platform operators do to a whole organization that no area can do alone.

Deleting an organization removes everything it owns, in every area, and is
allowed only to an operator, only for a suspended organization, and only when
the operator typed the organization's name or its initial domain. Its audit
events stay (their organization reference has no constraint and ids are never
reused), and the deletion itself is recorded as a platform event (no
organization) that names it.
"""

from collections import Counter

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.models import Tenant

DELETE_PERMISSION = "accounts.delete_tenant"


def tenant_initial_domain(tenant):
    """Return the name of ``tenant``'s initial domain, or ""."""
    return tenant.domain_set.filter(is_initial=True).values_list("name", flat=True).first() or ""


def tenant_confirmation_matches(tenant, text):
    """Return whether ``text`` is the organization's name or its initial domain (any case)."""
    typed = " ".join((text or "").split()).casefold()
    if not typed:
        return False
    name = " ".join(tenant.name.split()).casefold()
    domain = tenant_initial_domain(tenant).casefold()
    return typed == name or (domain != "" and typed == domain)


def tenant_data_counts(tenant):
    """Return how many rows of each kind the organization owns, by model verbose name."""
    counts = {}
    for relation in _owned_relations():
        model = relation.related_model
        count = model._base_manager.filter(**{relation.field.name: tenant}).count()
        if count:
            counts[str(model._meta.verbose_name_plural)] = count
    return counts


def tenant_delete(*, tenant, acting_user, confirmation, request=None):
    """Delete the suspended organization ``tenant`` and all it owns; return what was removed.

    ``confirmation`` is what the operator typed: the organization's name or its
    initial domain. Raise PermissionDenied for anyone but an operator, and
    ValidationError when the organization is not suspended or the confirmation
    does not match. The return value counts the removed rows by model label.
    """
    if acting_user.tenant_id is not None or not acting_user.has_perm(DELETE_PERMISSION):
        raise PermissionDenied
    with transaction.atomic():
        tenant = Tenant.objects.select_for_update().get(pk=tenant.pk)
        if tenant.status != Tenant.Status.SUSPENDED:
            raise ValidationError(
                _("Suspend the organization first: only a suspended organization can be deleted."),
                code="not_suspended",
            )
        if not tenant_confirmation_matches(tenant, confirmation):
            raise ValidationError(
                _("Type the organization's name or its initial domain exactly as shown."),
                code="confirmation_mismatch",
            )
        name, pk, domain = tenant.name, tenant.pk, tenant_initial_domain(tenant)
        removed = _delete_owned_rows(tenant)
        removed.update(_delete(Tenant._base_manager.filter(pk=pk)))
        audit_record(
            action="tenant.delete",
            tenant=None,
            actor=acting_user,
            request=request,
            target_type=Tenant._meta.label_lower,
            target_id=pk,
            target_label=name,
            old={"name": name, "initial_domain": domain, "status": Tenant.Status.SUSPENDED},
            new={"removed": dict(sorted(removed.items()))},
        )
    return removed


def _owned_relations():
    """Return the relations by which rows belong to a tenant (not the audit log's)."""
    return [
        relation
        for relation in Tenant._meta.get_fields(include_hidden=True)
        if relation.one_to_many
        and relation.auto_created
        and relation.on_delete is not models.DO_NOTHING
    ]


def _delete_owned_rows(tenant):
    """Delete every row that belongs to ``tenant``, each area's in turn.

    Rows that protect one another (a subscription its payment method, a charge
    its invoice) are deleted over several passes: a delete that would break a
    protection is refused before it writes anything, and is tried again once the
    rows that protect it are gone.
    """
    removed = Counter()
    pending = _owned_relations()
    while pending:
        blocked = []
        for relation in pending:
            rows = relation.related_model._base_manager.filter(**{relation.field.name: tenant})
            try:
                with transaction.atomic():
                    removed.update(_delete(rows))
            except (ProtectedError, RestrictedError):
                blocked.append(relation)
        if len(blocked) == len(pending):
            # Something outside the organization points at its rows: nothing is
            # deleted (the caller's transaction is rolled back).
            raise ValidationError(
                _("Some of the organization's data is still used elsewhere: %(kinds)s."),
                code="protected",
                params={
                    "kinds": ", ".join(
                        str(r.related_model._meta.verbose_name_plural) for r in blocked
                    )
                },
            )
        pending = blocked
    return removed


def _delete(queryset):
    _total, per_model = queryset.delete()
    return Counter({label: count for label, count in per_model.items() if count})
