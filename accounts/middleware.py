"""Request middleware: the tenant of the signed-in user, its time zone, and session lifetimes."""

import time
import zoneinfo
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import partners

# What someone without an organization (a platform operator) may open: the
# operators' site, the sign-in flows and their own password and language. Every
# other page is a tenant's, and sends them to the operators' site.
OPERATOR_NAMESPACES = {"admin", "password_reset", "passkeys"}
OPERATOR_PAGES = {
    "accounts:signin",
    "accounts:signin_verify",
    "accounts:signin_send_code",
    "accounts:signout",
    "accounts:password_change",
    "accounts:language",
    "healthz",
    "readyz",
}

SIGNED_IN_AT = "portal_signed_in_at"
LAST_SEEN = "portal_last_seen"
# Refresh the idle clock at most this often, so a busy page does not write the
# session on every request.
_LAST_SEEN_GRANULARITY = 60


class TenantMiddleware:
    """Set ``request.tenant`` and end sessions that are idle or too old.

    ``request.tenant`` is the signed-in user's tenant, or None for anonymous
    visitors and operators. It is the only source of the tenant for views.
    A signed-in user without a tenant (an operator) is sent to the operators'
    site from any page but those in ``OPERATOR_PAGES``/``OPERATOR_NAMESPACES``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.tenant = None
        user = request.user
        if not user.is_authenticated and SESSION_KEY in request.session:
            # The backend refused the session's user (blocked, deleted, organization
            # suspended): end the session for good, so that lifting the block later
            # does not bring it back.
            request.session.flush()
        if user.is_authenticated:
            if SIGNED_IN_AT not in request.session:
                # Signed in by Django's login() outside accounts.signin (such as a
                # test client's force_login): the clock starts now, not in 1970.
                start_session_clock(request)
            now = int(time.time())
            signed_in_at = request.session.get(SIGNED_IN_AT, 0)
            last_seen = request.session.get(LAST_SEEN, 0)
            idle_limit, absolute_limit = user.session_limits
            if now - signed_in_at > absolute_limit or now - last_seen > idle_limit:
                logout(request)
                if request.path in _signin_paths():
                    # Signing in or out needs no session: let the page do its job,
                    # rather than send them to sign in and then on to /signout/ (405).
                    return self.get_response(request)
                return redirect_to_login(request.get_full_path())
            if now - last_seen >= _LAST_SEEN_GRANULARITY:
                request.session[LAST_SEEN] = now
            request.tenant = user.tenant
            if (
                (user.must_change_password or user.password_expired)
                # An identity provider signed them in (accounts.signin.FEDERATED):
                # their password lives there.
                and not request.session.get("portal_federated")
                and request.path not in _password_change_paths()
            ):
                return redirect("accounts:password_change")
            if user.tenant_id is None and not _operator_may_open(request.path_info):
                # No organization, no tenant page: every one of them reads
                # request.tenant, and an operator's work is in the operators' site.
                return redirect("admin:index")
            if (
                user.must_register_methods or _second_factor_missing(request)
            ) and not _is_mfa_setup_path(request.path):
                # The organization requires admins to use a second factor: no admin
                # page until this session is verified with one (or one is registered).
                return redirect("security_info:index")
            if _phishing_resistant_missing(request) and not _is_mfa_setup_path(request.path):
                # Codes no longer open the admin center: a passkey must (or be added).
                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{reverse('security_info:passkey_required')}?{query}")
        return self.get_response(request)


def _operator_may_open(path):
    return _path_in(path, OPERATOR_NAMESPACES, OPERATOR_PAGES)


def _path_in(path, namespaces, pages):
    """Return whether ``path`` is a page of ``namespaces`` or one of ``pages`` (or a 404)."""
    try:
        match = resolve(path)
    except Resolver404:
        return True  # the 404 page
    namespace = match.namespaces[0] if match.namespaces else ""
    return namespace in namespaces or match.view_name in pages


def _signin_paths():
    return {reverse("accounts:signin"), reverse("accounts:signout")}


def _second_factor_missing(request):
    tenant = request.tenant
    user = request.user
    return (
        tenant is not None
        and tenant.require_mfa_for_admins
        and user.is_admin
        and not user.is_verified()
        # A trusted identity provider's second factor (accounts.signin.FEDERATED_MFA).
        and not request.session.get("portal_federated_mfa")
    )


def _phishing_resistant_missing(request):
    from accounts.signin import (  # noqa: PLC0415 - cycle accounts.signin -> accounts.middleware -> accounts.signin
        is_phishing_resistant,
        phishing_resistant_required,
    )

    user = request.user
    return phishing_resistant_required(user) and not is_phishing_resistant(
        getattr(user, "otp_device", None)
    )


def _is_mfa_setup_path(path):
    try:
        setup = reverse("security_info:index")
    except NoReverseMatch:  # security info not installed: nothing to set up with
        return True
    try:
        passkey_options = reverse("passkeys:options")  # the setup pages use a passkey
    except NoReverseMatch:
        passkey_options = None
    return (
        path.startswith(setup)
        or path in _password_change_paths()
        or path in (reverse("accounts:my_account"), passkey_options)
    )


def _password_change_paths():
    return {reverse("accounts:password_change"), reverse("accounts:signout")}


def start_session_clock(request):
    """Mark the session as signed in now (called right after login)."""
    now = int(time.time())
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_SEEN] = now


class TenantTimeZoneMiddleware:
    """Show every time in the organization's time zone for the length of the request.

    Templates and ``core.l10n.format_datetime`` convert to the active zone.
    Visitors and operators (no tenant) keep the platform's ``TIME_ZONE``. The zone
    is deactivated afterwards, so that the next request served by this thread
    does not inherit it. Runs after the tenant middleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = _tenant_zone(getattr(request, "tenant", None))
        if zone is not None:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def _tenant_zone(tenant):
    if tenant is None or not tenant.time_zone:
        return None
    try:
        return zoneinfo.ZoneInfo(tenant.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        # A zone this machine's database no longer knows: the platform's clock
        # is better than an error page.
        return None


class PreferredLanguageMiddleware:
    """Speak the signed-in user's language: theirs, else their organization's.

    Without either (and for visitors) Django's LocaleMiddleware has already
    chosen from the browser's Accept-Language. Runs after the tenant middleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            language = user.preferred_language or (
                request.tenant.preferred_language if request.tenant else ""
            )
            if language and language != request.LANGUAGE_CODE:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


# What a partner's admin acting in a customer still opens as themselves, in their own
# organization: their account, security info and password, signing out, the language,
# and the customer switcher.
PERSONAL_NAMESPACES = {"security_info", "passkeys", "password_reset", "admin"}
PERSONAL_PAGES = {
    "accounts:signin",
    "accounts:signin_verify",
    "accounts:signin_send_code",
    "accounts:signout",
    "accounts:my_account",
    "accounts:password_change",
    "accounts:language",
    "accounts:act_in",
    "accounts:act_stop",
    # The platform's announcements, which each person reads for themselves.
    "health:message_center",
    "health:messages_mark_read",
    "health:message_detail",
    "healthz",
    "readyz",
}


class PartnerMiddleware:
    """Let a partner's admin act in a customer's admin center with the roles granted.

    The session names the relationship (``accounts.partners.ACTING_SESSION_KEY``);
    on every request the access is read again, so a relationship ended or expired,
    or an admin's access taken away, sends them back to their own organization at
    once on every node. While acting, ``request.tenant`` is the customer,
    ``request.user`` a ``PartnerActor`` with the granted roles and
    ``request.acting`` the access; personal pages stay their own. Partner admins
    meet the customer's second-factor policy, or act nowhere. Runs after the
    message middleware (it tells them why they are back).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.acting = None
        request.partner_accesses = ()
        user = request.user
        tenant = getattr(request, "tenant", None)
        if not (user.is_authenticated and tenant is not None and tenant.is_partner):
            return self.get_response(request)
        if user.is_admin:
            request.partner_accesses = _LazyAccesses(user)
        relationship_id = request.session.get(partners.ACTING_SESSION_KEY)
        if relationship_id is None:
            return self.get_response(request)
        access = partners.acting_access(user, relationship_id) if user.is_admin else None
        if access is None:
            del request.session[partners.ACTING_SESSION_KEY]
            messages.info(
                request,
                _("Your access to that organization has ended. You are back in %(name)s.")
                % {"name": tenant.name},
            )
            return self.get_response(request)
        if _is_personal(request.path_info):
            request.acting = access
            return self.get_response(request)
        actor = partners.PartnerActor(user, access)
        request.tenant, request.user = actor.tenant, actor
        if _second_factor_missing(request) or _phishing_resistant_missing(request):
            request.tenant, request.user = tenant, user
            del request.session[partners.ACTING_SESSION_KEY]
            messages.error(
                request,
                _(
                    "%(name)s requires admins to verify with a stronger second factor than "
                    "this sign-in used. Sign in again with it to act there."
                )
                % {"name": access.relationship.customer.name},
            )
            return redirect("accounts:home")
        request.acting = access
        zone = _tenant_zone(actor.tenant)
        if zone is not None:
            timezone.activate(zone)
        return self.get_response(request)


class _LazyAccesses:
    """The customers a partner's admin may act in, read only when the top bar shows them."""

    def __init__(self, user):
        self._user = user
        self._accesses = None

    def _load(self):
        if self._accesses is None:
            self._accesses = partners.accesses_in_force(self._user)
        return self._accesses

    def __iter__(self):
        return iter(self._load())

    def __len__(self):
        return len(self._load())

    def __bool__(self):
        return bool(self._load())


def _is_personal(path):
    return _path_in(path, PERSONAL_NAMESPACES, PERSONAL_PAGES)
