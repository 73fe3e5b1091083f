import functools
import json
from datetime import timedelta
from importlib import import_module

from django import forms
from django.apps import apps
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.decorators import method_decorator
from django.utils.functional import lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.module_loading import module_has_submodule
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import DetailView, FormView, TemplateView

from accounts import lockout, partners, selectors, services, signin
from accounts.audit import ACTION_LABELS, action_label, audit_record
from accounts.forms import (
    CodeSendForm,
    LanguageForm,
    PortalPasswordChangeForm,
    SecondStepForm,
    SignInForm,
)
from accounts.mixins import TenantScopedMixin
from accounts.models import AuditEvent
from accounts.roles import ADMIN_CENTER, ROLES, VIEW_AUDIT
from core import l10n
from core.csv_export import streaming_csv_response
from core.pagecache import EVENTS, CachedPageMixin
from core.tables import Column, render_header, render_rows


@method_decorator([sensitive_post_parameters("password"), never_cache], name="dispatch")
class SignInView(FormView):
    form_class = SignInForm
    template_name = "registration/signin.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.method == "GET":
            return redirect(signin.landing_url(request, request.user))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("next", self.request.GET.get("next", ""))
        return super().get_context_data(**kwargs)

    # Names of a federated domain go to their organization's identity provider.
    discovers_realm = True

    def form_valid(self, form):
        if self.discovers_realm and (
            response := signin.discovered_realm(
                self.request, form.cleaned_data["username"], form.cleaned_data["next"]
            )
        ):
            return response
        if not form.cleaned_data["password"]:
            form.add_error("password", _("Enter your password."))
            return self.form_invalid(form)
        try:
            user = signin.signin_password(
                self.request,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
            )
        except lockout.Throttled as throttled:
            return throttled_response(self.request, throttled)
        except signin.SignInError as error:
            form.add_error(None, error.message)
            return self.form_invalid(form)
        return self.password_accepted(form, user)

    def password_accepted(self, form, user):
        if signin.needs_second_step(user):
            signin.signin_begin_second_step(self.request, user)
            return redirect(signin.with_next("accounts:signin_verify", form.cleaned_data["next"]))
        signin.signin_complete(self.request, user)
        return redirect(signin.landing_url(self.request, user))


@method_decorator(never_cache, name="dispatch")
class _SecondStepView(View):
    """A page of the second sign-in step, for the user whose password was accepted."""

    template_name = "registration/signin_verify.html"

    def dispatch(self, request, *args, **kwargs):
        self.user = signin.pending_user(request)
        if self.user is None:
            messages.info(request, _("Sign in again to continue."))
            return redirect("accounts:signin")
        try:
            return super().dispatch(request, *args, **kwargs)
        except lockout.Throttled as throttled:
            # A throttled sign-in starts again from the password.
            request.session.pop(signin.PENDING, None)
            signin.signin_second_step_throttled(request, self.user)
            return throttled_response(request, throttled)

    def render(self, form):
        return render(
            self.request,
            self.template_name,
            {
                "form": form,
                "next": signin.safe_next(self.request),
                "pending_user": self.user,
                "passkey_purpose": "verify",
            },
        )


class SignInVerifyView(_SecondStepView):
    """The second sign-in step: a code from one of the user's methods, or a passkey."""

    def get(self, request):
        return self.render(SecondStepForm(self.user, request))

    def post(self, request):
        form = SecondStepForm(self.user, request, data=request.POST)
        if not form.codes_allowed:
            # Only a passkey finishes this sign-in (the organization's policy).
            return self.render(form)
        # Counted before the code is checked, so a burst gets no more tries.
        attempt = lockout.SignInAttempt(request, self.user.username).reserve()
        if form.is_valid():
            attempt.passed()
            signin.signin_complete(request, self.user)
            return redirect(signin.landing_url(request, self.user))
        try:
            # As posted: a pass that expired since the page was shown is no choice now.
            device = signin.chosen_device(self.user, form["otp_device"].value())
            signin.signin_second_step_failed(request, attempt, self.user, device)
        except signin.SignInError as error:
            if error.message == signin.LOCKED:
                request.session.pop(signin.PENDING, None)
                messages.error(request, error.message)
                return redirect("accounts:signin")
        return self.render(form)


class SignInSendCodeView(_SecondStepView):
    """Send a code by the chosen method ("Send me a code"), then go back to the step.

    Throttled like a code (a locked sign-in sends nothing), but asking for a
    code is no failure: the attempt is given back.
    """

    http_method_names = ["post"]

    def post(self, request):
        form = CodeSendForm(self.user, request, data=request.POST)
        if not form.codes_allowed:
            return self.render(form)
        # Counted as a code is (a locked sign-in sends nothing), and given back.
        attempt = lockout.SignInAttempt(request, self.user.username).reserve()
        form.is_valid()  # sends the code; django-otp answers with what happened
        attempt.passed()
        if sent := form.sent_message():
            # "We sent a code to …" is news, not an error: show it as such.
            messages.info(request, sent)
            return redirect(signin.with_next("accounts:signin_verify", signin.safe_next(request)))
        return self.render(form)


def continue_elsewhere(request, url, *, heading):
    """Answer a form's POST that must end on another site (an identity provider).

    The portal's pages may post forms only to the portal (CSP form-action 'self'),
    which browsers hold against every redirect a form's answer makes: the answer
    is a page of the portal that goes on by itself, or by its link.
    """
    return render(request, "registration/continue.html", {"continue_url": url, "heading": heading})


def throttled_response(request, throttled):
    """Answer an attempt refused by a limit: 429, Retry-After, and when to try again.

    Nothing was checked: the page says the same whatever the name or code was.
    """
    response = render(
        request,
        "registration/throttled.html",
        {
            "until": timezone.now() + timedelta(seconds=throttled.retry_after),
            "account_locked": throttled.reason == lockout.ACCOUNT_LOCKED,
        },
        status=429,
    )
    response["Retry-After"] = str(throttled.retry_after)
    return response


class SignOutView(View):
    http_method_names = ["post"]

    def post(self, request):
        after = signin.signout(request)
        messages.success(request, _("You have signed out."))
        if after:
            return continue_elsewhere(
                request, after, heading=_("Signing you out at your identity provider")
            )
        return redirect("accounts:signin")


class HomeView(TenantScopedMixin, CachedPageMixin, TemplateView):
    permission_required = ADMIN_CENTER
    template_name = "accounts/home.html"

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and user.tenant_id is None:
            return redirect("admin:index")
        if user.is_authenticated and not user.has_perm(ADMIN_CENTER):
            # People without an admin role have no admin center, only their account.
            return redirect("accounts:my_account")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["counts"] = selectors.home_counts(tenant=self.request.tenant)
        context["roles"] = [ROLES[code] for code in sorted(self.request.user.role_codes)]
        context["cards"] = home_cards(self.request)
        return context


def home_cards(request):
    """Return the cards the installed areas show on Home for this admin.

    An area adds a card with a ``home`` module whose ``card(request)`` returns a
    dict (with the ``template`` to include) or None when the admin may not open
    the area. Found by module name, as the admin finds ``admin`` modules, so this
    app imports none of the areas.
    """
    cards = []
    for module in _home_modules(tuple(apps.app_configs)):
        card = module.card(request)
        if card:
            cards.append(card)
    return cards


@functools.lru_cache(maxsize=8)
def _home_modules(app_labels):
    # Looking for a submodule asks the import system for each installed app: once
    # per set of installed apps, not on every visit of Home.
    configs = [apps.get_app_config(label) for label in app_labels]
    return tuple(
        import_module(f"{config.name}.home")
        for config in configs
        if module_has_submodule(config.module, "home")
    )


class LanguageView(LoginRequiredMixin, View):
    """The user menu's language switcher: remember the choice on the account."""

    def post(self, request):
        form = LanguageForm(request.POST)
        if "language" in form.errors:
            messages.error(request, _("Choose one of the languages offered."))
        else:
            try:
                services.user_language_set(
                    user=request.user, language=form.cleaned_data["language"], request=request
                )
            except ValidationError as error:
                messages.error(request, error.messages[0])
        target = form.cleaned_data.get("next", "")
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = reverse("accounts:my_account")
        return redirect(target)


class MyAccountView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/my_account.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["roles"] = [ROLES[code] for code in sorted(self.request.user.role_codes)]
        return context


@method_decorator(sensitive_post_parameters(), name="dispatch")
class PasswordChangeView(LoginRequiredMixin, FormView):
    form_class = PortalPasswordChangeForm
    template_name = "accounts/password_change.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        # Signed in by an identity provider, whose password is the everyday one.
        provider = self.request.session.get(signin.FEDERATED)
        return {**super().get_context_data(**kwargs), "federated_provider": provider}

    def form_valid(self, form):
        services.password_change_ending_other_sessions(
            user=self.request.user,
            new_password=form.cleaned_data["new_password1"],
            request=self.request,
        )
        # Every other session of the user has ended; this one carries on.
        update_session_auth_hash(self.request, self.request.user)
        messages.success(self.request, _("Your password has been changed."))
        return redirect("accounts:my_account")


def _time_heading():
    # The organization's zone, by its name; each cell names the zone's abbreviation
    # of that moment (CET or CEST), which changes with daylight saving time.
    return _("Time (%(zone)s)") % {"zone": timezone.get_current_timezone_name()}


AUDIT_COLUMNS = [
    # The times are written for the whole page at once (the view's ``time`` of each row).
    Column(
        lazy(_time_heading, str)(),
        "time",
        # Relative to /audit/: no URL reversal per row.
        link=lambda event: f"{event.id}/",
    ),
    Column(_lazy("Actor"), "actor_label"),
    Column(_lazy("Action"), "action_label"),
    Column(_lazy("Target"), "target_label"),
    Column(_lazy("IP address"), "ip_address"),
]


@functools.cache
def _action_labels(language):
    """Return ``{action code: its label}`` in ``language``, translated once."""
    with translation.override(language):
        return {code: str(label) for code, label in ACTION_LABELS.items()}


class _AuditRow:
    """One event as the table shows it: a row of values, its action named, its time written."""

    __slots__ = (*selectors.AUDIT_ROW_FIELDS, "action_label", "time")

    def __init__(self, values, labels, time):
        (
            self.id,
            self.created_at,
            self.actor_label,
            self.action,
            self.target_label,
            self.ip_address,
        ) = values
        self.action_label = labels.get(self.action, self.action)
        self.time = time


def _filter_fields(form):
    """Return the filter bar's fields, each rendered by the form renderer, a line apart."""
    # The form renderer escapes every value and label.
    return mark_safe("".join(f"\n{field.as_field_group()}\n" for field in form))  # noqa: S308


@functools.lru_cache(maxsize=16)
def _blank_filter_fields(language):
    """Return the filter bar's fields with no filter given, rendered once per ``language``.

    ``language`` is the active one (a key only): the labels, help texts and the
    actions' names are the only things that change.
    """
    return _filter_fields(selectors.AuditEventFilter().form)


@receiver(setting_changed)
def _filter_settings_changed(setting, **kwargs):
    if setting in {"LANGUAGES", "LANGUAGE_CODE", "TEMPLATES", "FORM_RENDERER", "USE_I18N"}:
        _blank_filter_fields.cache_clear()


class AuditEventListView(TenantScopedMixin, CachedPageMixin, TemplateView):
    page_cache_scope = EVENTS  # sign-ins count here
    permission_required = VIEW_AUDIT
    template_name = "accounts/auditevent_list.html"
    paginate_by = 50

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page, event_filter = selectors.audit_event_page(
            tenant=self.request.tenant,
            params=self.request.GET,
            page=self.request.GET.get("page"),
            per_page=self.paginate_by,
        )
        labels = _action_labels(translation.get_language())
        # "3 Dec 2026, 17:22:08 CET": language, format and zone looked up once.
        times = l10n.format_datetimes([row[1] for row in page.object_list], seconds=True)
        page.object_list = [
            _AuditRow(values, labels, time)
            for values, time in zip(page.object_list, times, strict=True)
        ]
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            filter=event_filter,
            filter_fields=_filter_fields(event_filter.form)
            if event_filter.is_bound
            else _blank_filter_fields(translation.get_language()),
            page_obj=page,
            events=page.object_list,
            query=query.urlencode(),
            header=render_header(AUDIT_COLUMNS),
            rows=render_rows(
                AUDIT_COLUMNS,
                page.object_list,
                empty_text=_("No events match these filters.")
                if query
                else _("Nothing has been recorded yet."),
            ),
        )
        return context


class AuditEventDetailView(TenantScopedMixin, CachedPageMixin, DetailView):
    page_cache_scope = EVENTS  # sign-ins count here
    permission_required = VIEW_AUDIT
    model = AuditEvent
    template_name = "accounts/auditevent_detail.html"
    context_object_name = "event"


class AuditEventExportView(TenantScopedMixin, View):
    permission_required = VIEW_AUDIT

    def get(self, request):
        events, event_filter = selectors.audit_event_list(tenant=request.tenant, params=request.GET)
        if event_filter.is_bound and not event_filter.is_valid():
            # An invalid filter is ignored on the list page, where its error shows;
            # exporting would silently hand over the unfiltered log instead.
            return HttpResponseBadRequest(
                _("The filters are not valid. Correct them on the audit log page."),
                content_type="text/plain; charset=utf-8",
            )
        header = [
            _("Time (ISO 8601)"),
            _("Actor"),
            _("Action"),
            _("Action code"),
            _("Target type"),
            _("Target id"),
            _("Target"),
            _("Old values"),
            _("New values"),
            _("IP address"),
            _("User agent"),
        ]
        # ISO 8601 with the offset, in the organization's zone like the page. Taken
        # now: the rows stream after the middleware has deactivated the zone.
        zone = timezone.get_current_timezone()
        # Every text cell is defused by the response: sign-in names, labels and
        # values are all typed by someone.
        rows = (
            [
                event.created_at.astimezone(zone).isoformat(),
                event.actor_label,
                str(action_label(event.action)),
                event.action,
                event.target_type,
                event.target_id,
                event.target_label,
                _json(event.old_values),
                _json(event.new_values),
                event.ip_address or "",
                event.user_agent,
            ]
            for event in events.iterator(chunk_size=2000)
        )
        return streaming_csv_response("audit-log.csv", header, rows)


def _json(values):
    return json.dumps(values, ensure_ascii=False, sort_keys=True) if values else ""


class ActInForm(forms.Form):
    """The customer switcher: the relationship to act in."""

    relationship = forms.IntegerField(min_value=1)


class ActInView(LoginRequiredMixin, View):
    """The customer switcher: act in a customer's admin center with the roles granted."""

    def post(self, request):
        form = ActInForm(request.POST)
        access = None
        if form.is_valid() and request.user.is_admin:
            access = partners.acting_access(request.user, form.cleaned_data["relationship"])
        if access is None:
            # Not granted, ended, expired or another's: one answer for all of them.
            messages.error(request, _("You cannot act in that organization."))
            return redirect("accounts:home")
        request.session[partners.ACTING_SESSION_KEY] = access.relationship_id
        audit_record(
            action="partner.act",
            tenant=access.relationship.customer,
            actor=partners.PartnerActor(request.user, access),
            request=request,
            target_type="accounts.partnerrelationship",
            target_id=access.relationship_id,
            target_label=access.relationship.partner.name,
            new={"roles": sorted(access.roles)},
        )
        return redirect("accounts:home")


class ActStopView(LoginRequiredMixin, View):
    """Back from a customer to the partner admin's own organization."""

    def post(self, request):
        request.session.pop(partners.ACTING_SESSION_KEY, None)
        messages.info(
            request,
            _("You are back in %(name)s.") % {"name": request.user.tenant.name}
            if request.user.tenant_id
            else _("You are back in your own organization."),
        )
        return redirect("accounts:home")
