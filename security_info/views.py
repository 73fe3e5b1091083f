import base64
import time
from urllib.parse import urlencode

import segno
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, TemplateView
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import lockout, signin
from accounts.views import throttled_response
from security_info import selectors, services
from security_info.delivery import DeliveryError, delivery_notice
from security_info.forms import (
    AltEmailForm,
    AuthenticatorForm,
    CodeForm,
    DefaultMethodForm,
    PhoneForm,
    ReauthForm,
    ReauthSecondStepForm,
)
from security_info.validators import mask_email, mask_phone

REAUTH_AT = "security_info_reauth_at"
REAUTH_SECONDS = 10 * 60


def _add_errors(form, error, field=None):
    """Put a service's ValidationError or DeliveryError on ``form``."""
    if isinstance(error, DeliveryError):
        form.add_error(None, error.message)
    else:
        form.add_error(field, error)


def refused_as_429(response, error):
    """Mark ``response`` 429 with Retry-After when ``error`` refused a code untried."""
    retry_after = (getattr(error, "params", None) or {}).get("retry_after")
    if retry_after:
        response.status_code = 429
        response["Retry-After"] = str(retry_after)
    return response


def recent_auth_at(request):
    """Return when the user last proved who they are: confirming it's you, or signing in."""
    session = request.session
    return max(session.get(REAUTH_AT, 0), session.get(signin.AUTHENTICATED_AT, 0))


class RecentAuthMixin(LoginRequiredMixin):
    """Require the password (and a code, if the user has a method) within 10 minutes."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if time.time() - recent_auth_at(request) > REAUTH_SECONDS:
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('security_info:reauth')}?{query}")
        return super().dispatch(request, *args, **kwargs)


class SecurityInfoView(LoginRequiredMixin, TemplateView):
    template_name = "security_info/index.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(selectors.security_info_overview(user=self.request.user))
        context["verified_session"] = self.request.user.is_verified()
        return context


@method_decorator(sensitive_post_parameters(), name="dispatch")
class ReauthView(LoginRequiredMixin, View):
    template_name = "security_info/reauth.html"

    def get(self, request):
        return self.render(ReauthForm(), self.code_form())

    def post(self, request):
        form = ReauthForm(request.POST)
        user = request.user
        # Until the password is right the code form stays unbound: a bound one would
        # check its code (or text one) as soon as the page shows its errors.
        if not form.is_valid():
            return self.render(form, self.code_form())
        try:
            # Counted before the password is checked, so a burst gets no more tries.
            attempt = lockout.SignInAttempt(request, user.username).reserve()
        except lockout.Throttled as throttled:
            return throttled_response(request, throttled)
        if not user.check_password(form.cleaned_data["password"]):
            # Counted whatever button was pressed: asking for a code is no way
            # around the limits.
            form.add_error("password", _("That password is not right."))
            signin.audit_failure(request, user.username, "reauth.failure", began=attempt.failed())
            return self.render(form, self.code_form())
        code_form = self.code_form(request.POST)
        if code_form is not None and not code_form.is_valid():
            if code_form.asks_for_code:  # asking for a code is no failure
                attempt.passed()
            else:
                signin.audit_failure(
                    request, user.username, "reauth.failure", began=attempt.failed()
                )
            return self.render(form, code_form)
        if code_form is not None:
            otp_login(request, user.otp_device)
        attempt.succeeded()
        request.session[REAUTH_AT] = int(time.time())
        next_url = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = reverse("security_info:index")
        return redirect(next_url)

    def code_form(self, data=None):
        user = self.request.user
        if not user_has_device(user, confirmed=True):
            return None
        return ReauthSecondStepForm(user, self.request, data=data)

    def render(self, form, code_form):
        passkey = code_form is not None and code_form.has_passkey
        return render(
            self.request,
            self.template_name,
            {
                "form": form,
                "code_form": code_form,
                "passkey": passkey,
                # Someone with only passkeys (or an admin whose organization requires
                # one) confirms with a passkey; there is no password-and-code way.
                "codes": not passkey or bool(code_form.fields["otp_device"].choices),
                "next": self.request.GET.get("next", ""),
            },
        )


class _MethodStartView(RecentAuthMixin, FormView):
    """Add or change the phone or the alternate email: ask for it, send a code."""

    template_name = "security_info/method_form.html"
    verify_url = ""
    start = None
    title = ""
    intro = ""

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=self.title, intro=self.intro, **kwargs)

    def form_valid(self, form):
        value = next(iter(form.cleaned_data.values()))
        try:
            type(self).start(user=self.request.user, **{self.value_arg: value})
        except (ValidationError, DeliveryError) as error:
            _add_errors(form, error, field=next(iter(form.fields)))
            return self.form_invalid(form)
        return redirect(self.verify_url)


class PhoneStartView(_MethodStartView):
    form_class = PhoneForm
    start = services.phone_method_start
    value_arg = "raw_number"
    verify_url = "security_info:phone_verify"
    title = gettext_lazy("Mobile phone")
    intro = gettext_lazy("We'll text a 6-digit code to the number to make sure it's yours.")


class EmailStartView(_MethodStartView):
    form_class = AltEmailForm
    start = services.email_method_start
    value_arg = "raw_email"
    verify_url = "security_info:email_verify"
    title = gettext_lazy("Alternate email")
    intro = gettext_lazy("We'll email a 6-digit code to the address to make sure it's yours.")


class _MethodVerifyView(RecentAuthMixin, FormView):
    """Enter the code sent to the pending phone or email; ask for a new one."""

    form_class = CodeForm
    template_name = "security_info/code_verify.html"
    start_url = ""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.pending = self.get_pending()
            if self.pending is None:
                return redirect("security_info:index")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=self.title,
            target=self.masked(),
            start_url=self.start_url,
            resend_url=reverse(self.resend_url),
            delivery_notice=delivery_notice(self.pending),
            **kwargs,
        )

    def form_valid(self, form):
        try:
            device = type(self).verify(
                user=self.request.user, code=form.cleaned_data["code"], request=self.request
            )
        except ValidationError as error:
            form.add_error("code", error)
            return refused_as_429(self.form_invalid(form), error)
        if self.is_sign_in_factor:
            # A new sign-in factor proves the session as well as a sign-in code does.
            otp_login(self.request, device)
        messages.success(self.request, self.done_message)
        return redirect("security_info:index")


class _MethodResendView:
    """Send a new code to the pending phone or email (POST only), then back to its code page."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        try:
            type(self).resend(user=request.user)
        except DeliveryError as error:
            messages.error(request, error.message)
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            # While the outbox is still trying, the page says so instead.
            if not delivery_notice(self.pending):
                messages.success(request, _("We sent a new code."))
        return redirect(self.verify_url)


class PhoneVerifyView(_MethodVerifyView):
    title = gettext_lazy("Verify your mobile phone")
    start_url = "security_info:phone_start"
    verify_url = "security_info:phone_verify"
    resend_url = "security_info:phone_resend"
    resend = services.phone_method_resend
    verify = services.phone_method_verify
    is_sign_in_factor = True
    done_message = gettext_lazy("Your mobile phone is verified.")

    def get_pending(self):
        return services.pending_method(services.PHONE, self.request.user)

    def masked(self):
        return mask_phone(self.pending.number)


class EmailVerifyView(_MethodVerifyView):
    title = gettext_lazy("Verify your alternate email")
    start_url = "security_info:email_start"
    verify_url = "security_info:email_verify"
    resend_url = "security_info:email_resend"
    resend = services.email_method_resend
    verify = services.email_method_verify
    is_sign_in_factor = False
    done_message = gettext_lazy("Your alternate email is verified.")

    def get_pending(self):
        return services.pending_method(services.EMAIL, self.request.user)

    def masked(self):
        return mask_email(self.pending.email)


class PhoneResendView(_MethodResendView, PhoneVerifyView):
    pass


class EmailResendView(_MethodResendView, EmailVerifyView):
    pass


class _MethodDeleteView(RecentAuthMixin, View):
    template_name = "security_info/confirm_delete.html"
    # Not named "delete": View would answer HTTP DELETE with it.
    delete_method = None

    def get(self, request):
        return render(request, self.template_name, {"title": self.title, "what": self.what()})

    def post(self, request):
        type(self).delete_method(user=request.user, request=request)
        messages.success(request, self.done_message)
        return redirect("security_info:index")


class PhoneDeleteView(_MethodDeleteView):
    title = gettext_lazy("Delete your mobile phone?")
    delete_method = services.phone_method_delete
    done_message = gettext_lazy("Your mobile phone was removed.")

    def what(self):
        device = services.verified_method(services.PHONE, self.request.user)
        return mask_phone(device.number) if device else ""


class EmailDeleteView(_MethodDeleteView):
    title = gettext_lazy("Delete your alternate email?")
    delete_method = services.email_method_delete
    done_message = gettext_lazy("Your alternate email was removed.")

    def what(self):
        device = services.verified_method(services.EMAIL, self.request.user)
        return device.email if device else ""


# The key is a secret: no cache may keep the page.
@method_decorator(never_cache, name="dispatch")
class AuthenticatorAddView(RecentAuthMixin, FormView):
    form_class = AuthenticatorForm
    template_name = "security_info/app_add.html"

    def dispatch(self, request, *args, **kwargs):
        if (
            request.user.is_authenticated
            and time.time() - recent_auth_at(request) <= REAUTH_SECONDS
        ):
            try:
                self.device = services.authenticator_start(user=request.user)
            except ValidationError as error:
                messages.error(request, error.messages[0])
                return redirect("security_info:index")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        qr = segno.make(self.device.config_url, error="m")
        secret = base64.b32encode(self.device.bin_key).decode()
        return super().get_context_data(
            qr_svg=mark_safe(qr.svg_inline(scale=5, title=_("QR code for your app"))),  # noqa: S308
            secret=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            **kwargs,
        )

    def form_valid(self, form):
        try:
            device = services.authenticator_confirm(
                user=self.request.user,
                device_id=self.device.pk,
                code=form.cleaned_data["code"],
                name=form.cleaned_data["name"],
                request=self.request,
            )
        except ValidationError as error:
            form.add_error("code", error)
            return self.form_invalid(form)
        otp_login(self.request, device)
        messages.success(self.request, _("Your authenticator app was added."))
        return redirect("security_info:index")


class AuthenticatorDeleteView(RecentAuthMixin, View):
    template_name = "security_info/confirm_delete.html"
    model = TOTPDevice

    def dispatch(self, request, *args, **kwargs):
        # Someone else's (or no) app is a 404 before anything else, re-authentication too.
        if request.user.is_authenticated:
            self.get_object(kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_object(self, pk):
        # Only the signed-in user's own apps: anyone else's id is a 404.
        return get_object_or_404(TOTPDevice, pk=pk, user=self.request.user, confirmed=True)

    def get(self, request, pk):
        device = self.get_object(pk)
        return render(
            request,
            self.template_name,
            {"title": _("Delete this authenticator app?"), "what": device.name},
        )

    def post(self, request, pk):
        services.authenticator_delete(
            user=request.user, device=self.get_object(pk), request=request
        )
        messages.success(request, _("The authenticator app was removed."))
        return redirect("security_info:index")


# The codes are shown once: no cache may keep the page.
@method_decorator(never_cache, name="dispatch")
class BackupCodesView(RecentAuthMixin, View):
    template_name = "security_info/backup_codes.html"

    def get(self, request):
        return render(
            request,
            self.template_name,
            {"device": selectors.backup_code_device(user=request.user), "codes": None},
        )

    def post(self, request):
        codes = services.backup_codes_generate(user=request.user, request=request)
        return render(request, self.template_name, {"codes": codes, "device": None})


class DefaultMethodView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        form = DefaultMethodForm(request.POST)
        device = (
            selectors.sign_in_method(user=request.user, persistent_id=form.cleaned_data["device"])
            if form.is_valid()
            else None
        )
        if device is None:
            messages.error(request, _("Choose one of your verified sign-in methods."))
        else:
            services.default_method_set(user=request.user, device=device, request=request)
            messages.success(request, _("Your default sign-in method was changed."))
        return redirect("security_info:index")
