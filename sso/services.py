"""Identity providers: add, change, test, switch on and off, remove; sign people in.

Every change is audited and told to the organization's Global admins by email.
The sign-in half matches the name a provider vouches for with an account of the
provider's own organization, and of one of the provider's own domains, only.
"""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import services as account_services
from accounts.audit import audit_record
from accounts.models import Domain, Tenant, User
from accounts.roles import ADD_USERS, CHANGE_SSO
from accounts.selectors import global_admin_addresses
from core import outbox
from core.exceptions import Forbidden
from sso import oidc, saml
from sso.models import FederatedDomain, IdentityProvider
from sso.selectors import domain_of
from users import services as user_services

OIDC_FIELDS = ("name", "issuer", "client_id", "scopes", "username_claim", "trust_mfa", "jit_create")
SAML_FIELDS = (
    "name",
    "metadata_url",
    "username_attribute",
    "trust_mfa",
    "jit_create",
)


class SignInRefused(Exception):
    """A provider vouched for somebody the portal does not let in; ``code`` says why."""

    def __init__(self, code: str, username: str = "", user: User | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.username = username
        self.user = user


def _check_manager(acting_user: User, tenant: Tenant, provider: IdentityProvider | None = None):
    foreign = provider is not None and provider.tenant_id != tenant.pk
    if foreign or acting_user.tenant_id != tenant.pk or not acting_user.has_perm(CHANGE_SSO):
        raise Forbidden(_("Only a Global admin manages single sign-on."))


def _notify_global_admins(tenant: Tenant, subject: str, text: str) -> None:
    account_services.global_admins_notify(
        tenant,
        subject,
        text,
        see=_("See the organization's single sign-on settings in the admin center: %(url)s")
        % {"url": f"{settings.PORTAL_BASE_URL}/settings/sso/"},
        kind="Single sign-on notice",
    )


def _check_address(url: str, field: str) -> None:
    if not url:
        return
    if not url.lower().startswith("https://") and not settings.PORTAL_SSO_ALLOW_HTTP:
        raise ValidationError({field: [ValidationError(_("Use an https:// address."), "https")]})


def _clean_domains(
    tenant: Tenant, domains: Iterable[Domain], provider: IdentityProvider | None = None
) -> list[Domain]:
    chosen = list(domains)
    errors = []
    for domain in chosen:
        if domain.tenant_id != tenant.pk or not domain.is_verified:
            errors.append(
                ValidationError(
                    _("%(domain)s is not a verified domain of this organization."),
                    code="unverified",
                    params={"domain": domain.name},
                )
            )
            continue
        taken = (
            FederatedDomain.objects.filter(domain=domain)
            .exclude(provider=provider)
            .select_related("provider")
            .first()
        )
        if taken is not None:
            errors.append(
                ValidationError(
                    _("%(domain)s already signs in with %(provider)s."),
                    code="taken",
                    params={"domain": domain.name, "provider": taken.provider.name},
                )
            )
    if errors:
        raise ValidationError({"domains": errors})
    return chosen


def _set_domains(provider: IdentityProvider, domains: list[Domain]) -> None:
    FederatedDomain.objects.filter(provider=provider).exclude(domain__in=domains).delete()
    have = set(provider.federated_domains.values_list("domain_id", flat=True))
    try:
        with transaction.atomic():
            FederatedDomain.objects.bulk_create(
                [FederatedDomain(provider=provider, domain=d) for d in domains if d.pk not in have]
            )
    except IntegrityError:
        # Another provider took one of the domains since they were checked.
        raise ValidationError(
            {
                "domains": [
                    ValidationError(
                        _("One of these domains was just given to another provider."),
                        code="taken",
                    )
                ]
            }
        ) from None


def _load_protocol(provider: IdentityProvider, data: dict[str, Any]) -> None:
    """Check the provider's side (discovery, metadata) and keep what it says."""
    if provider.protocol == IdentityProvider.Protocol.OIDC:
        _check_address(provider.issuer, "issuer")
        provider.issuer = oidc.normalized_issuer(provider.issuer)
        secret = data.get("client_secret") or ""
        if secret:
            provider.client_secret_sealed = oidc.seal_client_secret(secret)
        elif not provider.client_secret_sealed:
            raise ValidationError(
                {"client_secret": [ValidationError(_("Enter the client secret."))]}
            )
        else:
            try:
                oidc.client_secret(provider)
            except oidc.OidcError:
                raise ValidationError(
                    {
                        "client_secret": [
                            ValidationError(
                                _("The stored secret can no longer be read: enter it again.")
                            )
                        ]
                    }
                ) from None
        if "openid" not in provider.scopes.split():
            provider.scopes = f"openid {provider.scopes}".strip()
        try:
            oidc.fetch_metadata(provider.issuer, fresh=True)
        except oidc.OidcError as error:
            raise ValidationError(
                {
                    "issuer": [
                        ValidationError(
                            _(
                                "The provider's discovery document could not be read "
                                "or names another issuer (%(reason)s)."
                            ),
                            code=error.code,
                            params={"reason": error.code},
                        )
                    ]
                }
            ) from None
        return
    metadata_xml = data.get("metadata_xml") or ""
    if provider.metadata_url and not metadata_xml:
        _check_address(provider.metadata_url, "metadata_url")
        try:
            metadata_xml = saml.fetch_metadata(provider.metadata_url)
        except saml.SamlError:
            raise ValidationError(
                {"metadata_url": [ValidationError(_("The metadata could not be downloaded."))]}
            ) from None
    if not metadata_xml and not provider.metadata_xml:
        raise ValidationError(
            {"metadata_url": [ValidationError(_("Give the metadata's address or upload it."))]}
        )
    if metadata_xml:
        try:
            provider.idp_entity_id = saml.idp_entity_id(metadata_xml)
        except saml.SamlError:
            raise ValidationError(
                {
                    "metadata_xml": [
                        ValidationError(
                            _("This is not the metadata of one SAML identity provider.")
                        )
                    ]
                }
            ) from None
        provider.metadata_xml = metadata_xml
    # A key sealed under a SECRET_KEY no longer configured is replaced: the new
    # certificate is in the metadata the identity provider reads.
    if not provider.sp_private_key_sealed or not saml.key_readable(provider):
        provider.sp_private_key_sealed, provider.sp_certificate = saml.new_key_pair(
            f"{provider.tenant.name} {provider.name}"
        )


def _save(provider: IdentityProvider) -> None:
    try:
        with transaction.atomic():
            provider.save()
    except IntegrityError:
        raise ValidationError(
            {"name": [ValidationError(_("Another identity provider has this name."), "unique")]}
        ) from None


def _snapshot(provider: IdentityProvider) -> dict[str, Any]:
    fields = OIDC_FIELDS if provider.protocol == IdentityProvider.Protocol.OIDC else SAML_FIELDS
    return {
        **{field: getattr(provider, field) for field in fields},
        "protocol": provider.protocol,
        "domains": sorted(d.domain.name for d in provider.federated_domains.all()),
        "is_enabled": provider.is_enabled,
    }


def provider_add(
    *,
    tenant: Tenant,
    acting_user: User,
    protocol: str,
    data: dict[str, Any],
    domains: Iterable[Domain],
    request: HttpRequest | None = None,
) -> IdentityProvider:
    """Add an identity provider (switched off until a test sign-in succeeded).

    ``data`` holds the protocol's fields (``OIDC_FIELDS`` with ``client_secret``,
    or ``SAML_FIELDS`` with ``metadata_xml``). Raises Forbidden unless a Global
    admin adds it; ValidationError for a taken name, a domain that is not a free
    verified domain of the organization, or a provider whose discovery document
    or metadata cannot be read.
    """
    _check_manager(acting_user, tenant)
    if protocol not in IdentityProvider.Protocol.values:
        raise ValidationError({"protocol": [ValidationError(_("Choose a protocol."))]})
    fields = OIDC_FIELDS if protocol == IdentityProvider.Protocol.OIDC else SAML_FIELDS
    provider = IdentityProvider(
        tenant=tenant,
        protocol=protocol,
        created_by=acting_user if acting_user.pk else None,
        **{field: data[field] for field in fields if field in data},
    )
    domains = _clean_domains(tenant, domains)
    _load_protocol(provider, data)
    with transaction.atomic():
        _save(provider)
        _set_domains(provider, domains)
    audit_record(
        action="sso.provider_add",
        tenant=tenant,
        actor=acting_user,
        request=request,
        target=provider,
        new=_snapshot(provider),
    )
    _notify_global_admins(
        tenant,
        _("An identity provider was added"),
        _('%(who)s added the identity provider "%(name)s" (%(protocol)s), switched off.')
        % {
            "who": acting_user.username,
            "name": provider.name,
            "protocol": provider.get_protocol_display(),
        },
    )
    return provider


def provider_change(
    *,
    tenant: Tenant,
    acting_user: User,
    provider: IdentityProvider,
    data: dict[str, Any],
    domains: Iterable[Domain],
    request: HttpRequest | None = None,
) -> IdentityProvider:
    """Change a provider's settings and domains; a change asks for a new test.

    A provider that is on stays on for the domains it keeps (its people must
    still be able to sign in); the Global admins are told.
    """
    _check_manager(acting_user, tenant, provider)
    old = _snapshot(provider)
    fields = OIDC_FIELDS if provider.protocol == IdentityProvider.Protocol.OIDC else SAML_FIELDS
    for field in fields:
        if field in data:
            setattr(provider, field, data[field])
    domains = _clean_domains(tenant, domains, provider)
    _load_protocol(provider, data)
    provider.changed_at = timezone.now()
    with transaction.atomic():
        _save(provider)
        _set_domains(provider, domains)
    new = _snapshot(provider)
    audit_record(
        action="sso.provider_change",
        tenant=tenant,
        actor=acting_user,
        request=request,
        target=provider,
        old={k: v for k, v in old.items() if new.get(k) != v},
        new={k: v for k, v in new.items() if old.get(k) != v},
    )
    _notify_global_admins(
        tenant,
        _("An identity provider was changed"),
        _('%(who)s changed the identity provider "%(name)s".')
        % {"who": acting_user.username, "name": provider.name},
    )
    return provider


def provider_switch(
    *,
    tenant: Tenant,
    acting_user: User,
    provider: IdentityProvider,
    on: bool,
    request: HttpRequest | None = None,
) -> IdentityProvider:
    """Switch a provider on (its domains' people sign in there) or off.

    Switching on needs a domain and a test sign-in that succeeded after the last change.
    """
    _check_manager(acting_user, tenant, provider)
    with transaction.atomic():
        # The row as it is now, held until this switch is recorded: parallel requests
        # switch (and audit, and tell) once.
        locked = IdentityProvider.objects.select_for_update().get(pk=provider.pk)
        if on and not locked.federated_domains.exists():
            raise ValidationError(_("Choose at least one domain first."), code="no_domain")
        if on and not locked.tested_since_change:
            raise ValidationError(
                _("Run a test sign-in that succeeds before switching the provider on."),
                code="untested",
            )
        provider.is_enabled = locked.is_enabled
        if locked.is_enabled == on:
            return provider
        provider.is_enabled = on
        provider.save(update_fields=["is_enabled"])
        audit_record(
            action="sso.provider_on" if on else "sso.provider_off",
            tenant=tenant,
            actor=acting_user,
            request=request,
            target=provider,
            old={"is_enabled": not on},
            new={"is_enabled": on},
        )
    domains = ", ".join(sorted(d.domain.name for d in provider.federated_domains.all()))
    _notify_global_admins(
        tenant,
        _("Single sign-on was switched on") if on else _("Single sign-on was switched off"),
        (
            _('%(who)s switched on "%(name)s": people of %(domains)s sign in there now.')
            if on
            else _('%(who)s switched off "%(name)s": people of %(domains)s use passwords again.')
        )
        % {"who": acting_user.username, "name": provider.name, "domains": domains},
    )
    return provider


def provider_remove(
    *,
    tenant: Tenant,
    acting_user: User,
    provider: IdentityProvider,
    request: HttpRequest | None = None,
) -> None:
    """Remove a provider that is switched off."""
    _check_manager(acting_user, tenant, provider)
    if provider.is_enabled:
        raise ValidationError(_("Switch the provider off before removing it."), code="enabled")
    old = _snapshot(provider)
    audit_record(
        action="sso.provider_remove",
        tenant=tenant,
        actor=acting_user,
        request=request,
        target=provider,
        old=old,
    )
    name = provider.name
    provider.delete()
    _notify_global_admins(
        tenant,
        _("An identity provider was removed"),
        _('%(who)s removed the identity provider "%(name)s".')
        % {"who": acting_user.username, "name": name},
    )


def provider_test_passed(
    *,
    provider: IdentityProvider,
    acting_user: User,
    claims: dict[str, Any],
    request: HttpRequest | None = None,
) -> None:
    """Keep the claims of a test sign-in that came back validated."""
    _check_manager(acting_user, provider.tenant, provider)
    provider.tested_at = timezone.now()
    provider.test_claims = claims
    provider.save(update_fields=["tested_at", "test_claims"])
    audit_record(
        action="sso.provider_test",
        tenant=provider.tenant,
        actor=acting_user,
        request=request,
        target=provider,
        new={"claims": sorted(claims)},
    )


class ProviderActor:
    """An identity provider creating the people it vouches for (just-in-time creation)."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_admin = False
    pk = id = None

    def __init__(self, provider: IdentityProvider) -> None:
        self.provider = provider
        self.tenant = provider.tenant
        self.tenant_id = provider.tenant_id

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return obj is None and perm == ADD_USERS

    @property
    def display_name(self) -> str:
        return self.provider.name

    @property
    def audit_label(self) -> str:
        return f"sso:{self.provider.name}"

    username = audit_label

    def __str__(self) -> str:
        return self.provider.name


def _names(profile: dict[str, str], username: str) -> dict[str, str]:
    first = profile.get("first_name", "")[:150]
    last = profile.get("last_name", "")[:150]
    display = profile.get("display_name") or " ".join(p for p in (first, last) if p)
    return {
        "first_name": first,
        "last_name": last,
        "display_name": (display or username.split("@")[0])[:256],
    }


def federated_user(
    provider: IdentityProvider,
    username: str,
    profile: dict[str, str],
    request: HttpRequest | None = None,
    *,
    verified: bool = True,
) -> User:
    """Return the account of ``provider``'s organization that ``username`` names.

    Raises SignInRefused ``other_domain`` for a name outside the provider's own
    domains (never another organization's account), ``unknown`` when nobody has
    the name and just-in-time creation is off, ``blocked`` or ``disabled`` for an
    account that may not sign in. ``profile`` (first, last and display name)
    fills a person created just in time. ``verified`` False (the provider says it
    has not verified the address it vouches for) refuses as ``unverified``; a
    person deleted here (restorable) is refused as ``disabled``, never made anew.
    """
    username = User.objects.normalize_username(str(username or "").strip())
    domains = {d.domain.name for d in provider.federated_domains.all()}
    if not username or domain_of(username) not in domains:
        raise SignInRefused("other_domain", username)
    if not verified:
        raise SignInRefused("unverified", username)
    user = (
        User.objects.filter(tenant_id=provider.tenant_id, username=username)
        .select_related("tenant")
        .first()
    )
    if user is None:
        deleted = (
            User.objects.filter(
                tenant_id=provider.tenant_id,
                deleted_username=username,
                deleted_at__isnull=False,
            )
            .select_related("tenant")
            .first()
        )
        if deleted is not None:
            raise SignInRefused("disabled", username, deleted)
        if not provider.jit_create:
            raise SignInRefused("unknown", username)
        try:
            user, _generated = user_services.user_create(
                tenant=provider.tenant,
                acting_user=ProviderActor(provider),
                username=username,
                password_hash=make_password(None),
                require_change=False,
                request=request,
                **_names(profile, username),
            )
        except ValidationError:
            raise SignInRefused("unknown", username) from None
        user.tenant = provider.tenant
    if user.is_sign_in_blocked:
        raise SignInRefused("blocked", username, user)
    if not user.can_sign_in:
        raise SignInRefused("disabled", username, user)
    return user


def break_glass_signed_in(request: HttpRequest, user: User) -> None:
    """Audit a Global admin's break-glass sign-in and tell the other Global admins."""
    audit_record(
        action="sso.break_glass",
        tenant=user.tenant,
        actor=user,
        request=request,
        target=user,
    )
    others = [a for a in global_admin_addresses(user.tenant) if a.lower() != user.username.lower()]
    if not others:
        return
    message = EmailMessage(
        _("A Global admin signed in without single sign-on"),
        _(
            "%(who)s signed in with a password and a second factor at the break-glass "
            "sign-in page, around the organization's identity provider, at %(when)s. "
            "If this was not expected, check the audit log: %(url)s"
        )
        % {
            "who": user.username,
            "when": timezone.now().strftime("%Y-%m-%d %H:%M UTC"),
            "url": f"{settings.PORTAL_BASE_URL}/audit/",
        },
        to=others,
    )
    transaction.on_commit(lambda: outbox.send_email(message, kind="Break-glass sign-in notice"))


def providers_reseal() -> tuple[int, list[IdentityProvider]]:
    """Seal every provider's secrets anew with the current SECRET_KEY.

    Run after a rotation, while the old key is still in SECRET_KEY_FALLBACKS.
    Return how many providers were sealed anew and those no configured key reads
    (their client secret must be typed again, or their key pair made anew under
    Change).
    """
    done, unreadable = 0, []
    for provider in IdentityProvider.objects.select_related("tenant"):
        try:
            if provider.client_secret_sealed:
                provider.client_secret_sealed = oidc.seal_client_secret(
                    oidc.client_secret(provider)
                )
            if provider.sp_private_key_sealed:
                provider.sp_private_key_sealed = saml.reseal_key(provider)
        except (oidc.OidcError, saml.SamlError):
            unreadable.append(provider)
            continue
        provider.save(update_fields=["client_secret_sealed", "sp_private_key_sealed"])
        done += 1
    return done, unreadable
