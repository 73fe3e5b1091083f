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

from security_info import reset
from security_info.forms import CodeForm


class ResetStartForm(forms.Form):
    username = forms.CharField(
        label=gettext_lazy("Sign-in name"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
        help_text=gettext_lazy("The name you sign in with, such as anna@contoso.example."),
    )


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
        reset.start(request, username=form.cleaned_data["username"])
        return redirect("password_reset:verify")


@method_decorator(never_cache, name="dispatch")
class ResetVerifyView(View):
    template_name = "security_info/reset/verify.html"

    def dispatch(self, request, *args, **kwargs):
        self.state = reset.flow(request)
        if self.state is None:
            messages.info(request, _("Start again: enter your sign-in name."))
            return redirect("password_reset:start")
        if reset.passed_user(request) is not None:
            return redirect("password_reset:new_password")
        if self.state["passed"] and not self.state["kind"]:
            return redirect("password_reset:next")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return self.render(ResetCodeForm())

    def post(self, request):
        form = ResetCodeForm(request.POST)
        if not form.is_valid():
            return self.render(form)
        result = reset.check(request, code=form.cleaned_data["code"])
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
            {"form": form, "first_gate": not self.state["passed"]},
        )


@method_decorator(never_cache, name="dispatch")
class ResetNextView(View):
    """After the first gate: choose the method for the second (masked hints shown now)."""

    template_name = "security_info/reset/next.html"

    def dispatch(self, request, *args, **kwargs):
        self.choices = reset.next_choices(request)
        if not self.choices:
            return redirect("password_reset:verify")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return render(request, self.template_name, {"choices": self.choices})

    def post(self, request):
        if not reset.choose(request, kind=request.POST.get("method", "")):
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
