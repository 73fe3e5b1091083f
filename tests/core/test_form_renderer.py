"""The Python-built widgets give the same markup as Django's templates."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.template import Context, Template
from django.utils import translation
from django.utils.functional import lazy
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.models import Domain
from core.form_renderer import KeptChoices, PortalFormRenderer, render_field


class SampleForm(forms.Form):
    text = forms.CharField(help_text="Help", max_length=20)
    email = forms.EmailField(required=False)
    password = forms.CharField(widget=forms.PasswordInput(render_value=True))
    number = forms.IntegerField(min_value=0)
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    hidden = forms.CharField(widget=forms.HiddenInput, required=False)
    choice = forms.ChoiceField(choices=[("", "All"), ("a", "A & B"), ("b", '"Quoted"')])
    grouped = forms.ChoiceField(
        choices=[("Group <1>", [("x", "X"), ("y", "Y")]), ("z", "Z")], required=False
    )
    flag = forms.BooleanField(required=False)
    notes = forms.CharField(widget=forms.Textarea, required=False)


def _render(form_data, renderer):
    form = SampleForm(data=form_data, renderer=renderer)
    form.is_valid()
    return {name: str(form[name]) for name in form.fields}


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"text": "<script>", "email": "a@b.example", "password": "p&q", "choice": "a"},
        {"text": "", "number": "-1", "day": "2026-11-22", "choice": "b", "grouped": "y"},
    ],
)
def test_python_widgets_match_django_templates(data):
    assert _render(data, PortalFormRenderer()) == _render(data, DjangoTemplates())


@settings(deadline=None)  # the first template renders compile; timing is not the point
@given(st.text(max_size=30), st.sampled_from(["", "a", "b", "nope"]))
def test_any_value_renders_like_django(text, choice):
    data = {"text": text, "choice": choice, "hidden": text, "email": text}
    assert _render(data, PortalFormRenderer()) == _render(data, DjangoTemplates())


def _lazy_text(text):
    return lazy(lambda: text, str)()


class SelectForm(forms.Form):
    """Selects of every shape Django's optgroups handles, plain and kept."""

    plain = forms.ChoiceField(choices=[("", "All"), ("a", "A & B"), (1, "One"), (None, "Nothing")])
    grouped = forms.ChoiceField(
        choices=[
            ("Group <1>", [("x", "X"), ("y", "Y <i>")]),
            ("z", "Z"),
            ("", [("e", "In a group without a name")]),
            (None, [(None, "None in a group")]),
        ],
        required=False,
    )
    duplicates = forms.ChoiceField(choices=[("d", "First"), ("d", "Second"), ("f", "F")])
    labels = forms.ChoiceField(
        choices=[
            ("safe", mark_safe("<b>bold</b>")),
            ("text", "<b>bold</b>"),
            ("lazy", gettext_lazy("Time zone")),
            ("lazy-safe", mark_safe(_lazy_text("<em>lazy</em>"))),  # noqa: S308 - a constant
            ("number", 5),
            ('quote"&', "Quote"),
        ],
        required=False,
    )
    kept = forms.ChoiceField(
        choices=KeptChoices([("", gettext_lazy("All actions")), ("Europe", [("nl", "Dutch")])]),
        required=False,
    )
    many = forms.MultipleChoiceField(
        choices=[("a", "A"), ("G", [("b", "B"), ("a", "A again")]), ("c", "C")],
        required=False,
    )
    nullable = forms.NullBooleanField(required=False)
    described = forms.ChoiceField(
        choices=[("a", "A")], help_text="Help", widget=forms.Select(attrs={"class": "wide"})
    )
    disabled = forms.ChoiceField(choices=[("a", "A")], disabled=True, required=False)


@pytest.mark.parametrize(
    "data",
    [
        None,
        {
            "plain": "a",
            "grouped": "y",
            "duplicates": "d",
            "labels": "lazy-safe",
            "many": ["a", "c"],
        },
        {"plain": "1", "grouped": "None", "labels": 'quote"&', "kept": "nl", "nullable": "true"},
        {"plain": "", "grouped": "", "duplicates": "f", "many": ["b"], "nullable": "false"},
        {"plain": "nope", "grouped": "e", "kept": "nope", "many": ["nope"]},
    ],
)
@pytest.mark.parametrize("language", ["en", "nl"])
def test_selects_render_like_django(data, language):
    with translation.override(language):
        for _twice in range(2):  # made, then from what was kept
            portal = SelectForm(data=data, renderer=PortalFormRenderer())
            django = SelectForm(data=data, renderer=DjangoTemplates())
            portal.is_valid(), django.is_valid()
            for name in SelectForm.base_fields:
                assert str(portal[name]) == str(django[name]), name


def test_kept_choices_follow_the_language():
    with translation.override("nl"):
        dutch = str(SelectForm(renderer=PortalFormRenderer())["kept"])
    with translation.override("en"):
        english = str(SelectForm(renderer=PortalFormRenderer())["kept"])
    assert '<option value="" selected>All actions</option>' in english
    assert "All actions" not in dutch
    assert '<optgroup label="Europe">' in dutch


def test_kept_choices_are_shared_by_every_form():
    first, second = SelectForm(), SelectForm()
    assert first.fields["kept"].choices is second.fields["kept"].choices
    assert first.fields["kept"].widget.choices is first.fields["kept"].choices


def test_a_choice_of_kept_choices_validates():
    form = SelectForm(data={"plain": "a", "duplicates": "d", "described": "a", "kept": "nl"})
    assert form.is_valid(), form.errors
    assert not SelectForm(data={"kept": "Europe"}).is_valid()


def test_model_choices_render_like_django(db, tenant):
    class DomainForm(forms.Form):
        domain = forms.ModelChoiceField(queryset=Domain.objects.for_tenant(tenant))

    domain = Domain.objects.for_tenant(tenant).first()
    for data in (None, {"domain": str(domain.pk)}):
        portal = DomainForm(data=data, renderer=PortalFormRenderer())["domain"]
        assert str(portal) == str(DomainForm(data=data, renderer=DjangoTemplates())["domain"])


class RowForm(forms.Form):
    name = forms.CharField(label="Name <b>", help_text="Help & more", max_length=5)
    notes = forms.CharField(widget=forms.Textarea, required=False)
    kind = forms.ChoiceField(choices=[("a", "A")], label=gettext_lazy("Time zone"))
    code = forms.IntegerField(required=False, help_text=mark_safe("<i>safe</i>"))

    def clean(self):
        raise forms.ValidationError("Not <this>")


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"name": "a <long> name", "notes": "<p>hi</p>", "kind": "x", "code": "z"},
        {"name": "ok"},
    ],
)
@pytest.mark.parametrize("language", ["en", "nl"])
def test_field_rows_render_like_the_field_template(data, language):
    with translation.override(language):
        form = RowForm(data=data, renderer=PortalFormRenderer())
        form.is_valid()
        for field in form:
            included = Template('{% include "inc/field.html" %}').render(Context({"field": field}))
            assert render_field(field) == included
            assert field.as_field_group() == included.strip()
