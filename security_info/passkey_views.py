"""Passkeys and security keys: add, rename, delete; sign in, finish sign-in, confirm it's you.

Every page is an ordinary form. The browser's part of a ceremony (creating or
using a passkey) runs in static/js/passkeys.js, which fetches the options from
the JSON views here and submits the answer with the form.
"""

import contextlib
import time

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import FormView
from django_otp import login as otp_login

from accounts import lockout, signin
from accounts.views import throttled_response
from security_info import passkeys, selectors, services
from security_info.forms import (
    PasskeyAddForm,
    PasskeyAnswerForm,
    PasskeyOptionsForm,
    PasskeyRenameForm,
)
from security_info.models import PasskeyDevice, TemporaryPassDevice
from security_info.views import REAUTH_AT, RecentAuthMixin
from sso import selectors as sso_selectors


def _next_url(request, default):
    return signin.safe_next(request) or default


def may_add_passkey(request):
    """Return whether this session may add a passkey.

    Under the organization's phishing-resistant policy, an admin who already
    has a passkey adds another only from a session verified with one (or with a
    temporary access pass, after losing them): otherwise codes, which the policy
    no longer trusts, would let anyone holding them add their own passkey.
    """
    user = request.user
    if not signin.phishing_resistant_required(user):
        return True
    device = getattr(user, "otp_device", None)
    if signin.is_phishing_resistant(device) or isinstance(device, TemporaryPassDevice):
        return True
    return not PasskeyDevice.objects.filter(user=user, confirmed=True).exists()


def _json(options):
    response = HttpResponse(options, content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response


# --- Security info: add, rename, delete -------------------------------------------


class PasskeyRegistrationOptionsView(RecentAuthMixin, View):
    """The options for creating a passkey (JSON), for passkeys.js."""

    http_method_names = ["post"]

    def post(self, request):
        if not may_add_passkey(request):
            return JsonResponse({"error": "verify with a passkey first"}, status=403)
        return _json(passkeys.registration_options(request, request.user))


@method_decorator(never_cache, name="dispatch")
class PasskeyAddView(RecentAuthMixin, FormView):
    form_class = PasskeyAddForm
    template_name = "security_info/passkey_add.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not may_add_passkey(request):
            messages.error(
                request, _("Verify with one of your passkeys first, then add another one.")
            )
            return redirect("security_info:passkey_required")
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return {"name": _("Passkey %(number)d") % {"number": self._count() + 1}}

    def _count(self):
        return PasskeyDevice.objects.filter(user=self.request.user).count()

    def get_context_data(self, **kwargs):
        kwargs.setdefault("next", _next_url(self.request, ""))
        kwargs.setdefault("required", signin.phishing_resistant_required(self.request.user))
        return super().get_context_data(**kwargs)

    def form_valid(self, form):
        try:
            device = services.passkey_add(
                user=self.request.user,
                name=form.cleaned_data["name"],
                credential=form.cleaned_data["credential"],
                request=self.request,
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        # Made with the user's authenticator just now: this session is verified with it.
        otp_login(self.request, device)
        messages.success(self.request, _("Your passkey %(name)s was added.") % {"name": device})
        return redirect(_next_url(self.request, reverse("security_info:index")))


class _OwnPasskeyMixin:
    model = PasskeyDevice

    def get_object(self):
        # Only the signed-in user's own passkeys: anyone else's id is a 404.
        return get_object_or_404(
            PasskeyDevice, pk=self.kwargs["pk"], user=self.request.user, confirmed=True
        )


class PasskeyRenameView(LoginRequiredMixin, _OwnPasskeyMixin, FormView):
    form_class = PasskeyRenameForm
    template_name = "security_info/passkey_rename.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.device = self.get_object()
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return {"name": self.device.name}

    def get_context_data(self, **kwargs):
        return super().get_context_data(device=self.device, **kwargs)

    def form_valid(self, form):
        try:
            services.passkey_rename(
                user=self.request.user,
                device=self.device,
                name=form.cleaned_data["name"],
                request=self.request,
            )
        except ValidationError as error:
            form.add_error("name", error)
            return self.form_invalid(form)
        messages.success(self.request, _("The passkey was renamed."))
        return redirect("security_info:index")


class PasskeyDeleteView(RecentAuthMixin, _OwnPasskeyMixin, View):
    template_name = "security_info/confirm_delete.html"

    def dispatch(self, request, *args, **kwargs):
        # Someone else's (or no) passkey is a 404 before anything else, re-authentication too.
        if request.user.is_authenticated:
            self.get_object()
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, pk):
        return render(
            request,
            self.template_name,
            {
                "title": _("Delete this passkey?"),
                "what": self.get_object().name,
                "intro": _(
                    "It no longer signs you in here. Also remove it from your device or "
                    "password manager, which can't be done from this page."
                ),
            },
        )

    def post(self, request, pk):
        services.passkey_delete(user=request.user, device=self.get_object(), request=request)
        messages.success(request, _("The passkey was removed."))
        return redirect("security_info:index")


# --- Using a passkey ------------------------------------------------------------------


class PasskeyAssertionOptionsView(View):
    """The options for using a passkey (JSON), for passkeys.js.

    ``purpose`` says what for: passkey-only sign-in (anyone), the sign-in's
    second step (the user who passed the password), or confirming it's you
    and the policy's step-up (the signed-in user).
    """

    http_method_names = ["post"]

    def post(self, request):
        form = PasskeyOptionsForm(request.POST)
        purpose = form.cleaned_data["purpose"] if form.is_valid() else ""
        if purpose == passkeys.SIGN_IN:
            user = None
        elif purpose == passkeys.SECOND_STEP:
            user = signin.pending_user(request)
            if user is None:
                return JsonResponse({"error": "sign in again"}, status=403)
        elif purpose in (passkeys.REAUTH, passkeys.STEP_UP):
            if not request.user.is_authenticated:
                return JsonResponse({"error": "sign in"}, status=403)
            user = request.user
        else:
            return HttpResponseBadRequest("unknown purpose")
        try:
            return _json(passkeys.authentication_options(request, purpose=purpose, user=user))
        except passkeys.PasskeyError:
            return JsonResponse({"error": "no passkey"}, status=400)


def _answer(request):
    form = PasskeyAnswerForm(request.POST)
    return form.cleaned_data["credential"] if form.is_valid() else ""


@method_decorator(never_cache, name="dispatch")
class PasskeySignInView(View):
    """Sign in with a passkey alone: it proves both who and that it's them."""

    http_method_names = ["post"]

    def post(self, request):
        back = signin.with_next("accounts:signin", _next_url(request, ""))
        try:
            device = passkeys.authentication_verify(
                request, _answer(request), purpose=passkeys.SIGN_IN
            )
        except passkeys.PasskeyError as error:
            locked = False
            try:
                signin.signin_passkey_failed(request, error.user)
            except signin.SignInError as failed:
                locked = failed.message == signin.LOCKED
            messages.error(request, signin.LOCKED if locked else error.message)
            return redirect(back)
        user = device.user
        try:
            signin.signin_ready(request, user, device)
        except signin.SignInError as error:
            messages.error(request, error.message)
            return redirect(back)
        if provider := sso_selectors.federated_provider_name(user.username):
            # A passkey proves who it is, but the organization decides at its own
            # identity provider who may sign in (and may have removed this person there).
            messages.error(
                request,
                _(
                    "Your organization signs you in at %(provider)s. Type your sign-in name "
                    "to go there."
                )
                % {"provider": provider},
            )
            return redirect(back)
        user.otp_device = device  # django-otp records it at login: the session is verified
        signin.signin_complete(request, user)
        return redirect(signin.landing_url(request, user))


@method_decorator(never_cache, name="dispatch")
class PasskeySecondStepView(View):
    """Finish a sign-in with a passkey after the password."""

    http_method_names = ["post"]

    def post(self, request):
        user = signin.pending_user(request)
        if user is None:
            messages.info(request, _("Sign in again to continue."))
            return redirect("accounts:signin")
        try:
            device = passkeys.authentication_verify(
                request, _answer(request), purpose=passkeys.SECOND_STEP, user=user
            )
        except passkeys.PasskeyError as error:
            try:
                signin.record_failure(request, user, "signin.mfa_failure")
            except signin.SignInError as failed:
                if failed.message == signin.LOCKED:
                    request.session.pop(signin.PENDING, None)
                    messages.error(request, failed.message)
                    return redirect("accounts:signin")
            messages.error(request, error.message)
            return redirect(signin.with_next("accounts:signin_verify", _next_url(request, "")))
        user.otp_device = device
        signin.signin_complete(request, user)
        return redirect(signin.landing_url(request, user))


@method_decorator(never_cache, name="dispatch")
class PasskeyReauthView(LoginRequiredMixin, View):
    """Confirm it's you with a passkey (it verifies the person: PIN or biometrics)."""

    http_method_names = ["post"]

    def post(self, request):
        user = request.user
        next_url = _next_url(request, reverse("security_info:index"))
        try:
            lockout.SignInAttempt(request, user.username).check()
        except lockout.Throttled as throttled:
            return throttled_response(request, throttled)
        try:
            device = passkeys.authentication_verify(
                request, _answer(request), purpose=passkeys.REAUTH, user=user
            )
        except passkeys.PasskeyError as error:
            with contextlib.suppress(signin.SignInError):
                signin.record_failure(request, user, "reauth.passkey_failure")
            messages.error(request, error.message)
            return redirect(signin.with_next("security_info:reauth", next_url))
        otp_login(request, device)
        request.session[REAUTH_AT] = int(time.time())
        return redirect(next_url)


@method_decorator(never_cache, name="dispatch")
class PasskeyRequiredView(LoginRequiredMixin, View):
    """The organization requires a phishing-resistant method: verify with a passkey, or add one."""

    template_name = "security_info/passkey_required.html"

    def get(self, request):
        user = request.user
        if not signin.phishing_resistant_required(user) or signin.is_phishing_resistant(
            getattr(user, "otp_device", None)
        ):
            return redirect(_next_url(request, reverse("accounts:home")))
        return render(
            request,
            self.template_name,
            {
                "has_passkey": bool(selectors.passkeys_of(user=user)),
                "may_add": may_add_passkey(request),
                "next": _next_url(request, ""),
            },
        )

    def post(self, request):
        user = request.user
        try:
            device = passkeys.authentication_verify(
                request, _answer(request), purpose=passkeys.STEP_UP, user=user
            )
        except passkeys.PasskeyError as error:
            with contextlib.suppress(signin.SignInError):
                signin.record_failure(request, user, "reauth.passkey_failure")
            messages.error(request, error.message)
            return redirect(
                signin.with_next("security_info:passkey_required", _next_url(request, ""))
            )
        services.passkey_step_up(user=user, device=device, request=request)
        return redirect(_next_url(request, reverse("accounts:home")))
