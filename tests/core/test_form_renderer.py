"""The Python-built widgets give the same markup as Django's templates."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from hypothesis import given, settings
from hypothesis import strategies as st

from core.form_renderer import PortalFormRenderer


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
