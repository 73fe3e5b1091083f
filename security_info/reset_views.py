"""Self-service password reset pages, at /password/reset/."""

from django import forms
from django.contrib import messages
from django.contrib.auth.forms import SetPasswordForm
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from accounts import lockout
from accounts.views import throttled_response
from security_info import reset
from security_info.forms import CodeForm
from security_info.validators import EMAIL_MAX_INPUT_LENGTH, PHONE_MAX_INPUT_LENGTH
from sso import selectors as sso_selectors

# A reset ended by too many wrong codes can be started again after this long.
RESTART_SECONDS = 60


class ResetStartForm(forms.Form):
    username = forms.CharField(
        label=gettext_lazy("Sign-in name"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
        help_text=gettext_lazy("The name you sign in with, such as anna@contoso.example."),
    )


class ResetMethodForm(forms.Form):
    """How the visitor proves it's them at the first gate (the same for every name)."""

    method = forms.ChoiceField(
        label=gettext_lazy("How do you want to get a code?"),
        choices=[
            (reset.EMAIL, gettext_lazy("Email a code to my alternate email address")),
            (reset.PHONE, gettext_lazy("Text a code to my mobile phone")),
            (reset.APP, gettext_lazy("Use a code from my authenticator app")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose how to get a code.")},
    )
    email = forms.CharField(
        label=gettext_lazy("Alternate email address"),
        max_length=EMAIL_MAX_INPUT_LENGTH,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        help_text=gettext_lazy(
            "For email: the full address you registered as security info. "
            "We send the code only if it's the one on your account."
        ),
    )
    phone = forms.CharField(
        label=gettext_lazy("Mobile phone number"),
        max_length=PHONE_MAX_INPUT_LENGTH,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
        help_text=gettext_lazy(
            "For a text message: the full number you registered, such as 06 12345678 "
            "or +31 6 12345678."
        ),
    )

    def clean(self):
        cleaned_data = super().clean()
        method = cleaned_data.get("method")
        if method == reset.EMAIL:
            value = cleaned_data.get("email", "").strip()
            if not value:
                self.add_error("email", gettext_lazy("Enter your alternate email address."))
            elif "@" not in value:
                self.add_error(
                    "email", gettext_lazy("Enter the whole address, such as anna@example.org.")
                )
        elif method == reset.PHONE:
            value = cleaned_data.get("phone", "").strip()
            digits = sum(char.isdigit() for char in value)
            if not value:
                self.add_error("phone", gettext_lazy("Enter your mobile phone number."))
            elif digits < 6:
                self.add_error("phone", gettext_lazy("Enter the whole number, with every digit."))
        return cleaned_data

    @property
    def destination(self):
        return self.cleaned_data.get(self.cleaned_data["method"], "")


class ResetNextForm(forms.Form):
    method = forms.ChoiceField(widget=forms.RadioSelect)

    def __init__(self, choices, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["method"].choices = choices


class ResetCodeForm(CodeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].help_text = gettext_lazy(
            "The 6-digit code from the email or text message we sent, or from your "
            "authenticator app."
        )


@method_decorator(never_cache, name="dispatch")
class ResetStartView(View):
    template_name = "security_info/reset/start.html"

    def get(self, request):
        return render(request, self.template_name, {"form": ResetStartForm()})

    def post(self, request):
        form = ResetStartForm(request.POST)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form})
        # Decided by the name's domain alone, as the sign-in page's discovery is:
        # nothing is learned about whether the account exists.
        if provider := sso_selectors.federated_provider_name(form.cleaned_data["username"]):
            form.add_error(
                "username",
                _(
                    "Your organization signs you in at %(provider)s, which keeps your "
                    "password. Reset it there, or ask your administrator."
                )
                % {"provider": provider},
            )
            return render(request, self.template_name, {"form": form})
        reset.start(request, username=form.cleaned_data["username"])
        return redirect("password_reset:method")


class _FlowMixin:
    """Send the visitor back to the start when their flow ended or expired."""

    def dispatch(self, request, *args, **kwargs):
        self.state = reset.flow(request)
        if self.state is None:
            messages.info(request, _("Start again: enter your sign-in name."))
            return redirect("password_reset:start")
        return super().dispatch(request, *args, **kwargs)


@method_decorator(never_cache, name="dispatch")
class ResetMethodView(_FlowMixin, View):
    """The first gate: choose the method and type where the code should go."""

    template_name = "security_info/reset/method.html"

    def get(self, request):
        if self.state["passed"]:
            return redirect("password_reset:next")
        return self.render(ResetMethodForm(initial={"method": self.state["kind"]}))

    def post(self, request):
        if self.state["passed"]:
            return redirect("password_reset:next")
        form = ResetMethodForm(request.POST)
        if not form.is_valid():
            return self.render(form)
        try:
            reset.choose_first(
                request, kind=form.cleaned_data["method"], destination=form.destination
            )
        except lockout.Throttled as throttled:
            return throttled_response(request, throttled)
        return redirect("password_reset:verify")

    def render(self, form):
        return render(self.request, self.template_name, {"form": form, "name": self.state["name"]})


@method_decorator(never_cache, name="dispatch")
class ResetVerifyView(_FlowMixin, View):
    template_name = "security_info/reset/verify.html"

    def dispatch(self, request, *args, **kwargs):
        state = reset.flow(request)
        if state is not None:
            if reset.passed_user(request) is not None:
                return redirect("password_reset:new_password")
            if not state["kind"]:
                step = "next" if state["passed"] else "method"
                return redirect(f"password_reset:{step}")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return self.render(ResetCodeForm())

    def post(self, request):
        form = ResetCodeForm(request.POST)
        if not form.is_valid():
            return self.render(form)
        result = reset.check(request, code=form.cleaned_data["code"])
        if result == reset.CheckResult.REFUSED:
            return throttled_response(
                request, lockout.Throttled(RESTART_SECONDS, reason="reset_codes")
            )
        if result == reset.CheckResult.ENDED:
            messages.error(
                request,
                _("Too many wrong codes. Start again, or ask your administrator for help."),
            )
            return redirect("password_reset:start")
        if result == reset.CheckResult.WRONG:
            form.add_error("code", _("That code is not right, or it has expired."))
            return self.render(form)
        if result == reset.CheckResult.DONE:
            return redirect("password_reset:new_password")
        return redirect("password_reset:next")

    def render(self, form):
        return render(
            self.request,
            self.template_name,
            {
                "form": form,
                "first_gate": not self.state["passed"],
                "kind": self.state["kind"],
                "sent_to": self.state["sent_to"],
                "name": self.state["name"],
            },
        )


@method_decorator(never_cache, name="dispatch")
class ResetNextView(_FlowMixin, View):
    """After the first gate: choose the method for the second (masked hints shown now)."""

    template_name = "security_info/reset/next.html"

    def get(self, request):
        if not self.state["passed"]:
            return redirect("password_reset:method")
        if reset.too_few_methods(request):
            return render(
                request,
                "security_info/reset/too_few_methods.html",
                {"helpers": reset.who_can_help(request)},
            )
        choices = reset.next_choices(request)
        if not choices:
            return redirect("password_reset:verify")
        return render(request, self.template_name, {"choices": choices})

    def post(self, request):
        form = ResetNextForm(reset.next_choices(request), request.POST)
        if not form.is_valid() or not reset.choose(request, kind=form.cleaned_data["method"]):
            messages.error(request, _("Choose one of the methods."))
            return redirect("password_reset:next")
        return redirect("password_reset:verify")


@method_decorator([never_cache, sensitive_post_parameters()], name="dispatch")
class ResetNewPasswordView(View):
    """The last step, reachable only when every gate of this flow is passed."""

    template_name = "security_info/reset/new_password.html"

    def dispatch(self, request, *args, **kwargs):
        self.user = reset.passed_user(request)
        if self.user is None:
            return redirect("password_reset:start")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return render(request, self.template_name, {"form": SetPasswordForm(self.user)})

    def post(self, request):
        form = SetPasswordForm(self.user, request.POST)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form})
        reset.complete(request, user=self.user, new_password=form.cleaned_data["new_password1"])
        messages.success(request, _("Your password was reset. Sign in with the new one."))
        return redirect("accounts:signin")
