"""The billing forms: the invoice recipients are a list shown as lines."""

import pytest
from django import forms
from hypothesis import given
from hypothesis import strategies as st

from billing.forms import BillingAccountForm, EmailListField
from billing.models import BillingAccount

ADDRESS = st.from_regex(
    r"[A-Za-z0-9]{1,12}(\.[A-Za-z0-9]{1,12})?@[A-Za-z]{1,12}\.example", fullmatch=True
)


@given(st.lists(ADDRESS, max_size=8))
def test_recipients_shown_as_lines_come_back_as_the_same_list(addresses):
    field = EmailListField(required=False)
    shown = field.widget.format_value(field.prepare_value(addresses)) or ""
    assert field.clean(shown) == [address.lower() for address in addresses]


@pytest.mark.parametrize("value", [[], (), None, ""])
def test_no_recipients_show_as_an_empty_box(value):
    field = EmailListField(required=False)
    assert (field.widget.format_value(field.prepare_value(value)) or "") == ""


def test_blank_lines_and_spaces_are_ignored_and_a_bad_line_is_refused():
    field = EmailListField(required=False)
    assert field.clean("\n  a@b.example  \n\nC@D.example\n") == ["a@b.example", "c@d.example"]
    with pytest.raises(forms.ValidationError):
        field.clean("a@b.example\nnot an email")


def test_an_unchanged_form_has_no_changes():
    account = BillingAccount(sold_to_name="Contoso", country="NL", notify_emails=["a@b.example"])
    form = BillingAccountForm(instance=account)
    data = {field.html_name: field.value() for field in form}
    bound = BillingAccountForm(data, instance=account)
    assert bound.is_valid(), bound.errors
    assert "notify_emails" not in bound.changed_data
    assert bound.cleaned_data["notify_emails"] == ["a@b.example"]
