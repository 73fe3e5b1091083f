"""An action on the rows selected in a list: block them, delete them, export them.

In the manner of NetBox's bulk views: the selection arrives as ``ids`` and is
parsed by a ``ModelMultipleChoiceField`` whose queryset is already narrowed to
what the acting user may reach (the area's ``<model>s_reachable(actor)``).
Another organization's id, a deleted row's id and a malformed id are all
outside it: the answer is 404 and nothing changes.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _lazy
from django.views import View
from django.views.decorators.cache import never_cache

from core.access import names_unreachable_rows

# Longer than any id a bigint holds: refused before the database sees it.
ID_MAX_DIGITS = 18
# The selection's errors that mean "not something you may name": 404, as for a missing row.


class SelectionField(forms.ModelMultipleChoiceField):
    """The selected rows: ids of ``queryset``, at most ``max_count`` of them.

    Both checks on the ids' shape and number come before the one query.
    """

    widget = forms.MultipleHiddenInput
    default_error_messages = {"too_many": _lazy("Select at most %(max)d at a time.")}

    def __init__(self, queryset, *, max_count=None, **kwargs):
        super().__init__(queryset, **kwargs)
        self.max_count = max_count

    def clean(self, value):
        if value and isinstance(value, (list, tuple)):
            for pk in value:
                text = str(pk)
                if not (text.isascii() and text.isdigit() and len(text) <= ID_MAX_DIGITS):
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"],
                        code="invalid_pk_value",
                        params={"pk": text},
                    )
            if self.max_count is not None and len(set(value)) > self.max_count:
                raise ValidationError(
                    self.error_messages["too_many"],
                    code="too_many",
                    params={"max": self.max_count},
                )
        return super().clean(value)


class BulkActionForm(forms.Form):
    """The selection, where to go back to, and whether the action was confirmed."""

    ids = SelectionField(queryset=None)
    # The list's query string, to show the list again as it was.
    query = forms.CharField(required=False, widget=forms.HiddenInput)
    # "detail": the action was started on the one selected row's own page.
    return_to = forms.CharField(required=False, widget=forms.HiddenInput)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, queryset, max_count=None, too_many_message=None, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["ids"]
        field.queryset = queryset
        field.max_count = max_count
        if too_many_message is not None:
            field.error_messages["too_many"] = too_many_message

    def selected(self):
        """Return the selected rows, in the order of the field's queryset."""
        return list(self.cleaned_data["ids"])


@method_decorator(never_cache, name="dispatch")
class BulkActionView(View):
    """POST the selection; optionally confirm; call one service; go back to the list.

    A subclass gives ``get_queryset()`` (the rows the acting user may name),
    ``perform(form)`` (one service call, returning its result) and
    ``get_success_message(form, result)``; ``confirm_template_name`` adds a
    step that shows what will happen and posts again with ``confirm``.
    ``list_url_name`` (and ``detail_url_name`` for ``return_to=detail``) say
    where to go back to.
    """

    form_class = BulkActionForm
    confirm_template_name = None
    list_url_name = None
    detail_url_name = None
    max_selected = None
    no_selection_message = _lazy("Select at least one item first.")
    too_many_message = None

    def get_queryset(self):
        raise NotImplementedError("Return the rows the acting user may select.")

    def get_max_selected(self):
        return self.max_selected

    def get_form_kwargs(self):
        return {
            "data": self.request.POST,
            "queryset": self.get_queryset(),
            "max_count": self.get_max_selected(),
            "too_many_message": self.too_many_message,
        }

    def get_form(self):
        return self.form_class(**self.get_form_kwargs())

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        if not form.is_valid():
            return self.form_invalid(form)
        if self.confirm_template_name and not form.cleaned_data["confirm"]:
            return self.confirm(form)
        try:
            result = self.perform(form)
        except ValidationError as error:
            messages.error(request, error.messages[0])
            return redirect(self.get_back_url(form))
        return self.success(form, result)

    def form_invalid(self, form):
        """Answer 404 for a row out of reach (selected, or named by another field); else say why."""
        if names_unreachable_rows(form):
            raise Http404
        if form.has_error("ids", "required"):
            message = self.no_selection_message
        else:
            message = next(iter(form.errors.values()))[0]
        messages.error(self.request, message)
        return redirect(self.get_back_url(form))

    def confirm(self, form):
        """Return the page that shows what will happen and posts again with ``confirm``."""
        return render(self.request, self.confirm_template_name, self.get_confirm_context(form))

    def get_confirm_context(self, form):
        return {
            "form": form,
            "selected": form.selected(),
            "query": form.cleaned_data["query"],
            "return_to": form.cleaned_data["return_to"],
            "back": self.get_back_url(form),
        }

    def perform(self, form):
        raise NotImplementedError("Call the one service that does the action.")

    def get_success_message(self, form, result):
        return None

    def success(self, form, result):
        message = self.get_success_message(form, result)
        if message:
            messages.success(self.request, message)
        return redirect(self.get_success_url(form))

    def get_success_url(self, form):
        return self.get_back_url(form)

    def get_list_url(self, form):
        """Return the list, with the query string it had when the action started."""
        # Parsed and encoded again: only a query string comes back, never a URL.
        query = QueryDict(form.cleaned_data.get("query", "")).urlencode()
        base = reverse(self.list_url_name)
        return f"{base}?{query}" if query else base

    def get_back_url(self, form):
        """Return where the action was started: the one row's page, or the list as it was."""
        data = form.cleaned_data
        selected = data.get("ids")
        if (
            data.get("return_to") == "detail"
            and self.detail_url_name
            and selected is not None
            and len(selected) == 1
        ):
            return reverse(self.detail_url_name, args=[selected[0].pk])
        return self.get_list_url(form)
