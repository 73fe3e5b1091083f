"""Which identity provider signs a name in, and an organization's providers."""

import uuid

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import Tenant, User
from core.access import object_or_404
from sso.models import IdentityProvider


def domain_of(username: str) -> str:
    """Return the domain part of a sign-in name, lower-case, or "" when it has none."""
    _local, at, domain = str(username or "").strip().rpartition("@")
    return domain.lower().rstrip(".") if at and _local else ""


def provider_for_username(username: str) -> IdentityProvider | None:
    """Return the switched-on provider that signs in names of ``username``'s domain, or None.

    Decided by the domain alone (a verified domain of an active organization),
    whether anybody has that name or not: nothing is learned about accounts.
    """
    domain = domain_of(username)
    if not domain:
        return None
    return (
        IdentityProvider.objects.filter(
            is_enabled=True,
            federated_domains__domain__name=domain,
            federated_domains__domain__is_verified=True,
            tenant__status=Tenant.Status.ACTIVE,
        )
        .select_related("tenant")
        .first()
    )


def is_federated(user: User) -> bool:
    """Return whether ``user`` signs in at their organization's identity provider."""
    provider = provider_for_username(user.username)
    return provider is not None and provider.tenant_id == user.tenant_id


def federated_provider_name(username: str) -> str:
    """Return the name of the provider that signs ``username`` in, or ""."""
    provider = provider_for_username(username)
    return provider.name if provider is not None else ""


def providers_of(tenant_id: int | None) -> QuerySet[IdentityProvider]:
    """Return the identity providers of organization ``tenant_id`` with their domains."""
    return IdentityProvider.objects.filter(tenant_id=tenant_id).prefetch_related(
        "federated_domains__domain"
    )


def access_provider_by_id(actor: User, provider_id: object) -> IdentityProvider:
    """Return the provider ``provider_id`` of ``actor``'s organization, or raise Http404."""
    return object_or_404(providers_of(actor.tenant_id), provider_id)


def provider_by_public_id(public_id: uuid.UUID | str) -> IdentityProvider:
    """Return the provider an identity provider's address names, or raise Http404."""
    provider = (
        IdentityProvider.objects.filter(public_id=public_id, tenant__status=Tenant.Status.ACTIVE)
        .select_related("tenant")
        .first()
    )
    if provider is None:
        raise Http404
    return provider
