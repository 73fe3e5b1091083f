"""The people picker: one way to choose people, on every page that chooses them.

It is the widget of a ``ModelChoiceField`` or ``ModelMultipleChoiceField`` whose
queryset is already narrowed to the people the acting user may choose: that
queryset is the authorization, for the ids the form accepts and for the matches
the picker shows. The chosen people post as plain ids under the field's name.

With JavaScript (``static/js/people_picker.js``) the text box is a
combobox that asks a search endpoint as you type. Without it the text box and its
Search button belong to a small GET form of the page (``SEARCH_PARAM``), and the
page lists the matches as checkboxes (radios for one person) inside the form.
The endpoint is named by URL and takes a ``source``, which the owning app resolves
to the same narrowed queryset on the server; a queryset never comes from the client.
"""

from collections.abc import Iterable, Mapping

from django import forms
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse

# The query string parameter of the search step without JavaScript.
SEARCH_PARAM = "people_q"
# At most this many matches are shown or returned for one search.
MATCH_LIMIT = 10
# A search longer than this is cut: names are shorter.
SEARCH_MAX_LENGTH = 100


def search_text(value: str | None) -> str:
    """Return ``value`` with runs of spaces folded and cut to ``SEARCH_MAX_LENGTH``."""
    return " ".join((value or "").split())[:SEARCH_MAX_LENGTH]


def people_matching(
    people: QuerySet, text: str, *, exclude: Iterable[int] = (), limit: int = MATCH_LIMIT
) -> QuerySet:
    """Return at most ``limit`` of ``people`` whose display or sign-in name contains ``text``.

    ``people`` is the narrowed queryset of the field; nothing outside it can match.
    No text matches nobody: the picker never lists everyone.
    """
    text = search_text(text)
    if not text:
        return people.none()
    return (
        people.select_related(None)
        .filter(Q(display_name__icontains=text) | Q(username__icontains=text))
        .exclude(pk__in=list(exclude))
        .only("id", "display_name", "username")
        .order_by("display_name", "id")[:limit]
    )


def _ids(values: Iterable) -> list[int]:
    ids = []
    for value in values:
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            continue
    return ids


class PeoplePicker(forms.Widget):
    """Choose people from the field's queryset: chips of the chosen, a search for more.

    ``source`` names the queryset for the search endpoint (``search_url``, a URL
    name), which resolves it on the server. ``search`` is the text of the search
    step without JavaScript (set with ``people_search``). The search box's id is
    the field's, so the field's label names it.
    """

    template_name = "inc/people_picker.html"

    def __init__(self, *, source: str, search_url: str, attrs=None):
        super().__init__(attrs)
        self.source = source
        self.search_url = search_url
        self.search = ""

    @property
    def allow_multiple_selected(self) -> bool:
        field = getattr(getattr(self, "choices", None), "field", None)
        return isinstance(field, forms.ModelMultipleChoiceField)

    def people(self) -> QuerySet:
        """Return the field's narrowed queryset (set by the field on this widget)."""
        return self.choices.queryset

    def use_required_attribute(self, initial) -> bool:
        # The text box need not be filled: the chosen people are the value.
        return False

    def format_value(self, value) -> list[str]:
        if value is None or value == "":
            return []
        if isinstance(value, (list, tuple)):
            return [str(v) for v in value if v not in (None, "")]
        return [str(value)]

    def value_from_datadict(self, data, files, name):
        if self.allow_multiple_selected:
            getter = getattr(data, "getlist", None)
            return getter(name) if getter else data.get(name)
        return data.get(name)

    def value_omitted_from_data(self, data, files, name) -> bool:
        # Nobody chosen posts no field at all: that is an answer, not an omission.
        return False

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        people = self.people()
        chosen_ids = _ids(widget["value"])
        chosen = (
            list(
                people.select_related(None)
                .filter(pk__in=chosen_ids)
                .only("id", "display_name", "username")
                .order_by("display_name", "id")
            )
            if chosen_ids
            else []
        )
        if not self.allow_multiple_selected:
            chosen = chosen[:1]
        widget_id = widget["attrs"].get("id") or f"id_{name}"
        widget.update(
            id=widget_id,
            multiple=self.allow_multiple_selected,
            chosen=chosen,
            search=self.search,
            matches=list(people_matching(people, self.search, exclude=chosen_ids))
            if self.search
            else [],
            source=self.source,
            search_url=reverse(self.search_url),
            search_param=SEARCH_PARAM,
            search_form=f"{widget_id}-search",
            limit=MATCH_LIMIT,
        )
        return context

    def render(self, name, value, attrs=None, renderer=None):
        # The project's template directory, not the form renderer's: the template is ours.
        return render_to_string(self.template_name, self.get_context(name, value, attrs))


def people_search(form: forms.Form, query: Mapping) -> forms.Form:
    """Give the pickers of ``form`` the search step's text and chosen ids from ``query``.

    ``query`` is the page's GET parameters; an unbound form shows the people
    chosen before the search (ids outside the field's queryset are not shown).
    Return ``form``.
    """
    text = search_text(query.get(SEARCH_PARAM))
    for name, field in form.fields.items():
        if not isinstance(field.widget, PeoplePicker):
            continue
        field.widget.search = text
        key = form.add_prefix(name)
        if not form.is_bound and key in query:
            values = query.getlist(key) if hasattr(query, "getlist") else [query[key]]
            form.initial[name] = values if field.widget.allow_multiple_selected else values[-1]
    return form
