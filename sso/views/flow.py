"""The addresses an identity provider sends people back to, and the service provider's metadata."""

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from accounts import signin
from accounts.audit import audit_record
from accounts.roles import CHANGE_SSO
from sso import flow, oidc, saml, services
from sso.models import IdentityProvider
from sso.selectors import provider_by_public_id


def refusal_message(code: str, provider: IdentityProvider, username: str) -> str:
    """Return what the person is told when ``provider`` vouched for them but they may not in."""
    organization = provider.tenant.name
    if code == "other_domain":
        return _(
            "Your identity provider signed you in as %(name)s, which is not a name of "
            "%(organization)s. Sign in with your own organization's account."
        ) % {"name": username or "?", "organization": organization}
    if code == "unknown":
        return _(
            "Your identity provider signed you in as %(name)s, but %(organization)s has no "
            "account with that name here. Ask your administrator to add you."
        ) % {"name": username, "organization": organization}
    if code == "unverified":
        return _(
            "Your identity provider has not verified the address %(name)s, so it can't sign "
            "you in here. Ask your administrator."
        ) % {"name": username}
    if code == "blocked":
        return signin.BLOCKED
    return _("This account can't sign in here. Ask your administrator.")


def _problem(request, provider, message, *, status=400):
    return render(
        request,
        "sso/refused.html",
        {"message": message, "provider": provider},
        status=status,
    )


REFUSAL_REASONS = {
    "other_domain": signin.Refusal.NO_ACCOUNT_HERE,
    "unverified": signin.Refusal.NO_ACCOUNT_HERE,
    "unknown": signin.Refusal.NO_ACCOUNT_HERE,
    "blocked": signin.Refusal.BLOCKED,
    "disabled": signin.Refusal.ACCOUNT_DISABLED,
}


def _failed(request, provider, state, error):
    """Answer a provider's answer that did not validate (audited, never signs anybody in)."""
    if state.get("purpose") != flow.TEST:
        signin.federated_refused(
            request, user=None, username="", reason=signin.Refusal.PROVIDER_ANSWER
        )
    audit_record(
        action="sso.refused",
        tenant=provider.tenant,
        request=request,
        target=provider,
        new={
            "reason": error.code,
            "detail": error.detail[:300],
            "purpose": state.get("purpose", ""),
        },
    )
    if state.get("purpose") == flow.TEST:
        return render(
            request,
            "sso/test_failed.html",
            {"provider": provider, "code": error.code, "detail": error.detail},
            status=400,
        )
    return _problem(
        request,
        provider,
        _(
            "The sign-in at your organization's identity provider could not be completed. "
            "Try again, or ask your administrator."
        ),
    )


def _test_done(request, provider, state, claims):
    user = request.user
    if not user.is_authenticated or user.pk != state.get("user") or not user.has_perm(CHANGE_SSO):
        return _problem(
            request, provider, _("Sign in as the Global admin who started the test."), status=403
        )
    services.provider_test_passed(
        provider=provider, acting_user=user, claims=claims, request=request
    )
    messages.success(request, _("The test sign-in worked. Check the claims that came back."))
    return redirect("sso:provider_detail", provider.pk)


def _signed_in(request, provider, state, *, username, profile, provider_mfa, session, verified):
    """Sign in whom ``provider`` vouched for, or answer why not."""
    try:
        user = services.federated_user(
            provider, username, profile, request=request, verified=verified
        )
    except services.SignInRefused as refusal:
        known = refusal.user
        signin.federated_refused(
            request,
            user=known,
            username=refusal.username,
            reason=REFUSAL_REASONS[refusal.code],
        )
        audit_record(
            action="sso.refused",
            tenant=provider.tenant,
            request=request,
            target_type="accounts.user",
            target_label=(refusal.username or "?")[:254],
            new={"reason": refusal.code, "provider": provider.name},
        )
        return _problem(
            request, provider, refusal_message(refusal.code, provider, refusal.username), status=403
        )
    user.backend = signin.BACKEND
    trusted = bool(provider.trust_mfa and provider_mfa)
    next_url = state.get("next", "")
    federation = {"provider": provider.name, "provider_mfa": trusted}
    if not trusted and signin.needs_second_step(user):
        signin.signin_begin_second_step(request, user, federation=federation)
        request.session[flow.SIGNED_IN] = session
        return redirect(signin.with_next("accounts:signin_verify", next_url))
    signin.signin_complete(request, user, federation=federation)
    request.session[flow.SIGNED_IN] = session
    return HttpResponseRedirect(next_url or signin.landing_url(request, user))


def _finish(request, provider, state, answer):
    """Sign in or record a test from the validated ``answer`` of either protocol."""
    username, profile, provider_mfa, claims, session, verified = answer
    if state["purpose"] == flow.TEST:
        claims = {
            **claims,
            "_portal": {"sign_in_name": username, "second_factor": provider_mfa},
        }
        return _test_done(request, provider, state, claims)
    return _signed_in(
        request,
        provider,
        state,
        username=username,
        profile=profile,
        provider_mfa=provider_mfa,
        session=session,
        verified=verified,
    )


def _start_again(request):
    messages.info(request, _("Sign in again to continue."))
    return redirect("accounts:signin")


@method_decorator(never_cache, name="dispatch")
class OidcCallbackView(View):
    """Where an OpenID Connect provider sends the person back with a code."""

    http_method_names = ["get"]

    def get(self, request, public_id):
        provider = provider_by_public_id(public_id)
        if provider.protocol != IdentityProvider.Protocol.OIDC:
            return _start_again(request)
        try:
            state = flow.take(request, provider)
        except flow.FlowMissing:
            return _start_again(request)
        try:
            claims, id_token = oidc.complete(request, provider)
        except oidc.OidcError as error:
            return _failed(request, provider, state, error)
        username = str(claims.get(provider.username_claim) or "")
        profile = {
            "first_name": str(claims.get("given_name") or ""),
            "last_name": str(claims.get("family_name") or ""),
            "display_name": str(claims.get("name") or ""),
        }
        session = {"provider": provider.pk, "id_token": id_token}
        # A provider that says it has not verified the address it vouches for is not
        # believed about it (a claim that is absent proves nothing either way).
        verified = not (
            provider.username_claim == "email" and claims.get("email_verified") is False
        )
        answer = (username, profile, oidc.used_mfa(claims), claims, session, verified)
        return _finish(request, provider, state, answer)


@method_decorator([csrf_exempt, never_cache], name="dispatch")
class SamlAcsView(View):
    """The assertion consumer: the provider's answer, posted from its own site.

    A cross-site POST carries no session cookie (SameSite=Lax), so the answer is
    kept for a moment and the browser comes back with a GET, which does carry it;
    the answer is checked there, against the request this session sent.
    """

    http_method_names = ["post"]

    def post(self, request, public_id):
        provider = provider_by_public_id(public_id)
        answer = request.POST.get("SAMLResponse", "")
        if (
            provider.protocol != IdentityProvider.Protocol.SAML
            or not answer
            or len(answer) > 500_000
        ):
            return _start_again(request)
        key = flow.stash_saml_answer(answer)
        url = reverse("sso:saml_finish", args=[provider.public_id])
        return redirect(f"{url}?answer={key}", permanent=False)


@method_decorator(never_cache, name="dispatch")
class SamlFinishView(View):
    http_method_names = ["get"]

    def get(self, request, public_id):
        provider = provider_by_public_id(public_id)
        answer = flow.unstash_saml_answer(request.GET.get("answer", ""))
        if provider.protocol != IdentityProvider.Protocol.SAML or not answer:
            return _start_again(request)
        try:
            state = flow.take(request, provider)
        except flow.FlowMissing:
            return _start_again(request)
        try:
            parsed = saml.parse_response(provider, answer, state.get("request_id", ""))
        except saml.SamlError as error:
            return _failed(request, provider, state, error)
        attributes = parsed["attributes"]

        def first(*names):
            for name in names:
                values = attributes.get(name) or []
                if values:
                    return str(values[0])
            return ""

        username = first(provider.username_attribute) if provider.username_attribute else ""
        username = username or parsed["name_id"]
        profile = {
            "first_name": first("givenName", "given_name", saml.CLAIM_GIVEN_NAME),
            "last_name": first("sn", "surname", "family_name", saml.CLAIM_SURNAME),
            "display_name": first("displayName", "display_name", "name", saml.CLAIM_DISPLAY_NAME),
        }
        claims = {
            "NameID": parsed["name_id"],
            "AuthnContextClassRef": parsed["class_ref"],
            **attributes,
        }
        session = {
            "provider": provider.pk,
            "name_id": parsed["name_id"],
            "name_id_format": parsed["name_id_format"],
            "session_index": parsed["session_index"],
        }
        answer = (username, profile, saml.used_mfa(parsed), claims, session, True)
        return _finish(request, provider, state, answer)


class SamlMetadataView(View):
    """The service provider's metadata: its entity id, endpoints and certificates."""

    http_method_names = ["get"]

    def get(self, request, public_id):
        provider = provider_by_public_id(public_id)
        if provider.protocol != IdentityProvider.Protocol.SAML:
            return _start_again(request)
        try:
            xml = saml.sp_metadata(provider)
        except saml.SamlError as error:
            return HttpResponse(error.code, status=503, content_type="text/plain")
        response = HttpResponse(xml, content_type="application/samlmetadata+xml")
        if "download" in request.GET:
            response["Content-Disposition"] = (
                f'attachment; filename="portal-sp-{provider.public_id}.xml"'
            )
        return response


@method_decorator(never_cache, name="dispatch")
class SamlLogoutView(View):
    """Single logout: the provider's answer to our LogoutRequest, or its own request.

    A LogoutRequest of the provider (the person signed out there) ends this
    browser's session when the provider signed it in and names the same person;
    the provider gets a signed LogoutResponse either way, as the profile asks.
    """

    http_method_names = ["get"]

    def get(self, request, public_id):
        provider = provider_by_public_id(public_id)
        message = request.GET.get("SAMLRequest", "")
        if provider.protocol != IdentityProvider.Protocol.SAML or not message:
            return redirect("accounts:signin")
        signature = {key: request.GET[key] for key in ("SigAlg", "Signature") if key in request.GET}
        try:
            name_id, answer = saml.logout_requested(
                provider, message, request.GET.get("RelayState", ""), signature
            )
        except saml.SamlError:
            return redirect("accounts:signin")
        signed_in = request.session.get(flow.SIGNED_IN) or {}
        if (
            request.user.is_authenticated
            and signed_in.get("provider") == provider.pk
            and signed_in.get("name_id") == name_id
        ):
            request.session.pop(flow.SIGNED_IN, None)  # no LogoutRequest back
            signin.signout(request)
        return HttpResponseRedirect(answer)
