"""Pages about one object, and the actions taken on it.

``ObjectView`` shows one object. It fetches it through the area's access
function, ``access_object(actor, pk)`` (such as
``users.selectors.access_user_by_id``), never through a queryset of its own, so
another organization's id, a missing one and a malformed one all answer 404.

``ActionView`` is one action on that object, at its own URL: GET shows the
confirmation (or the form) page, POST parses every input with the form, calls
one service, and answers with a success message and a redirect. A refusal
that the data explains (a ``ValidationError`` from the service) is shown on the
page; a refusal for the person's role is ``core.exceptions.Forbidden``, which
Django answers with 403. ``PostActionView`` is the same action for a button
on another page: POST only, and what would be shown on the page is a message
on the page the person goes back to.

None of them signs anyone in or checks a permission: an area puts its own
view mixin (login, permission, tenant) in front of them.
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.generic import View
from django.views.generic.base import ContextMixin, TemplateResponseMixin

from core.access import names_unreachable_rows


class ConfirmForm(forms.Form):
    """Nothing to parse: the person only confirms (the CSRF token is Django's)."""


class ObjectView(TemplateResponseMixin, ContextMixin, View):
    """A page about one object, fetched with ``access_object(actor, pk)``.

    Set ``access_object`` to the area's access function (as a ``staticmethod``),
    ``model`` to its model (the URL sweeps in the tests read it), and
    ``template_name``. ``check_object`` refuses an object the person may look
    up but not act on.
    """

    model: type[Model] | None = None
    access_object: Callable[[Any, object], Any]
    pk_url_kwarg = "pk"
    context_object_name = "object"

    def get_object(self) -> Any:
        """Return the object named by the URL, or raise Http404."""
        return self.access_object(self.request.user, self.kwargs[self.pk_url_kwarg])

    def check_object(self, obj: Any) -> None:
        """Raise PermissionDenied when the person may not use this page for ``obj``."""

    def load_object(self) -> Any:
        self.object = self.get_object()
        self.check_object(self.object)
        return self.object

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("object", self.object)
        kwargs.setdefault(self.context_object_name, self.object)
        return super().get_context_data(**kwargs)

    def get(self, request, *args, **kwargs) -> HttpResponse:
        self.load_object()
        return self.render_to_response(self.get_context_data())


class ActionView(ObjectView):
    """One action on one object: GET asks, POST parses the form and calls one service.

    Subclasses set ``form_class`` (``ConfirmForm`` when there is nothing to
    fill in) and ``perform(form)``, which calls the service and returns its
    result; ``get_success_message`` and ``get_success_url`` say what happened
    and where to go. ``done`` may answer differently (a secret shown once).
    """

    form_class: type[forms.Form] = ConfirmForm
    success_message = ""
    success_url: str | None = None

    def get_form_kwargs(self) -> dict[str, Any]:
        """Return the form's extra arguments (``tenant=``, ``initial=``, ...)."""
        return {}

    def get_form(self, data=None) -> forms.Form:
        return self.form_class(data, **self.get_form_kwargs())

    def get(self, request, *args, **kwargs) -> HttpResponse:
        self.load_object()
        return self.render_to_response(self.get_context_data(form=self.get_form()))

    def post(self, request, *args, **kwargs) -> HttpResponse:
        self.load_object()
        form = self.get_form(request.POST)
        if not form.is_valid():
            self.refuse_unknown_rows(form)
            return self.form_invalid(form)
        try:
            result = self.perform(form)
        except ValidationError as error:
            return self.refused(form, error)
        return self.done(form, result)

    def refuse_unknown_rows(self, form: forms.Form) -> None:
        """Raise Http404 when a choice of rows names one the form does not offer."""
        if names_unreachable_rows(form):
            raise Http404

    def perform(self, form: forms.Form) -> Any:
        """Call the one service of this action with the form's values; return its result."""
        raise NotImplementedError

    def form_invalid(self, form: forms.Form) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form))

    def refused(self, form: forms.Form, error: ValidationError) -> HttpResponse:
        """Show the service's refusal with the form (at its fields when it names them)."""
        add_refusal(form, error)
        return self.form_invalid(form)

    def get_success_message(self, form: forms.Form, result: Any) -> str:
        return self.success_message

    def get_success_url(self) -> str:
        if self.success_url is None:
            return self.object.get_absolute_url()
        return self.success_url

    def done(self, form: forms.Form, result: Any) -> HttpResponse:
        message = self.get_success_message(form, result)
        if message:
            messages.success(self.request, message)
        return redirect(self.get_success_url())


class PostActionView(ActionView):
    """One action on one object that needs no page of its own: POST only, then back.

    The contract is ``ActionView``'s: ``form_class`` parses the POST body
    (``ConfirmForm`` when there is nothing to parse), ``perform(form)`` calls
    one service on ``self.object`` and returns its result, and
    ``get_success_message`` says what happened. What ``ActionView`` would show
    on its own page, a form's error or a service's ``ValidationError``, is
    shown instead as a message on the page the person goes back to,
    ``get_back_url()``; success goes to ``get_success_url()``, which is that
    page too unless ``success_url`` says otherwise.
    """

    http_method_names = ["post"]

    def get_back_url(self) -> str:
        """Return the page the action was taken from: the object's own by default."""
        return self.object.get_absolute_url()

    def get_success_url(self) -> str:
        if self.success_url is None:
            return self.get_back_url()
        return self.success_url

    def form_invalid(self, form: forms.Form) -> HttpResponse:
        report_form_errors(self.request, form)
        return redirect(self.get_back_url())

    def refused(self, form: forms.Form, error: ValidationError) -> HttpResponse:
        report_refusal(self.request, error)
        return redirect(self.get_back_url())


class ServiceFormMixin:
    """For a ``FormView`` whose valid form calls one service, as ``ActionView`` does.

    ``perform(form)`` calls the service and returns its result. A
    ``ValidationError`` it raises is shown on the form (``add_refusal``, with
    ``refusal_fields`` renaming the service's field names to the form's);
    otherwise ``done(form, result)`` answers: by default
    ``get_success_message(form, result)`` and a redirect to ``get_success_url()``.
    """

    refusal_fields: dict[str, str | None] | None = None
    success_message = ""

    def form_valid(self, form: forms.Form) -> HttpResponse:
        try:
            result = self.perform(form)
        except ValidationError as error:
            add_refusal(form, error, fields=self.refusal_fields)
            return self.form_invalid(form)
        return self.done(form, result)

    def perform(self, form: forms.Form) -> Any:
        """Call the one service of this page with the form's values; return its result."""
        raise NotImplementedError

    def get_success_message(self, form: forms.Form, result: Any) -> str:
        return self.success_message

    def done(self, form: forms.Form, result: Any) -> HttpResponse:
        message = self.get_success_message(form, result)
        if message:
            messages.success(self.request, message)
        return redirect(self.get_success_url())


class ChangePermissionMixin:
    """A form page every reader opens, and only who holds ``change_permission`` saves.

    For the others the fields are disabled, ``can_change`` tells the template to
    leave out the button, and a POST answers 403. Put it before the ``FormView``.
    """

    change_permission = ""

    def can_change(self) -> bool:
        return self.request.user.has_perm(self.change_permission)

    def get_form(self, form_class=None) -> forms.Form:
        form = super().get_form(form_class)
        if not self.can_change():
            for field in form.fields.values():
                field.disabled = True
        return form

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "can_change": self.can_change()}

    def post(self, request, *args, **kwargs) -> HttpResponse:
        if not self.can_change():
            raise PermissionDenied
        return super().post(request, *args, **kwargs)


def add_refusal(
    form: forms.Form, error: ValidationError, *, fields: dict[str, str | None] | None = None
) -> None:
    """Put a service's ValidationError on ``form``, at the field it names when the form has one.

    ``fields`` maps the service's names to the form's (``{"email": "local_part"}``,
    or None for the form as a whole); a name the form has no field for goes to the
    form as a whole, so a service's new field never breaks the page.
    """
    by_name = error.error_dict if hasattr(error, "error_dict") else {None: error.error_list}
    for name, errors in by_name.items():
        target = (fields or {}).get(name, name)
        form.add_error(target if target in form.fields else None, errors)


def report_refusal(request: HttpRequest, error: ValidationError) -> None:
    """Show a service's ValidationError as messages on the next page."""
    for message in error.messages:
        messages.error(request, message)


def report_form_errors(request: HttpRequest, form: forms.Form) -> None:
    """Show the first error of an invalid action form as a message on the next page."""
    messages.error(request, next(iter(form.errors.values()))[0])
