"""core.views.detail: one object fetched by the area's access function, one action on it."""

import pytest
from django import forms
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import RequestFactory
from django.views.generic import FormView

from core.exceptions import Forbidden
from core.views.detail import (
    ActionView,
    ChangePermissionMixin,
    ConfirmForm,
    ObjectView,
    PostActionView,
    ServiceFormMixin,
    add_refusal,
)

ROWS = {1: "first", 2: "second"}
calls = []


def access_row(actor, pk):
    """An area's access function: the rows this actor reaches, else 404."""
    try:
        return ROWS[int(str(pk))]
    except (KeyError, ValueError):
        raise Http404 from None


class Choice(forms.ModelChoiceField):
    """A row picked by id, from a queryset that stands for "the rows the person reaches"."""

    def __init__(self):
        super().__init__(queryset=None, required=False)

    def clean(self, value):
        if value not in ("", None, "1"):
            raise ValidationError("unknown", code="invalid_choice")
        return value


class PickForm(forms.Form):
    row = Choice()
    note = forms.CharField(required=False, max_length=5)


class RowView(ObjectView):
    access_object = staticmethod(access_row)
    template_name = "unused.html"
    context_object_name = "row"


class RowAction(ActionView):
    access_object = staticmethod(access_row)
    template_name = "unused.html"
    form_class = PickForm
    success_url = "/done/"
    success_message = "Done."
    refusal = None

    def check_object(self, row):
        if row == "second":
            raise PermissionDenied

    def perform(self, form):
        if self.refusal is not None:
            raise self.refusal
        calls.append((self.object, form.cleaned_data["note"]))
        return "result"


def request(method="get", data=None):
    factory = RequestFactory()
    req = getattr(factory, method)("/", data or {})
    req.user = AnonymousUser()
    req.session = {}
    req._messages = FallbackStorage(req)
    return req


@pytest.fixture(autouse=True)
def no_calls():
    calls.clear()


def test_an_object_page_fetches_through_the_access_function():
    response = RowView.as_view()(request(), pk="1")
    assert response.context_data["row"] == "first" == response.context_data["object"]
    for pk in ("3", "x", ""):
        with pytest.raises(Http404):
            RowView.as_view()(request(), pk=pk)


def test_get_asks_and_changes_nothing():
    response = RowAction.as_view()(request(), pk="1")
    assert isinstance(response.context_data["form"], PickForm)
    assert calls == []


def test_post_parses_the_form_calls_the_service_and_redirects_with_a_message():
    req = request("post", {"row": "1", "note": "hi"})
    response = RowAction.as_view()(req, pk="1")
    assert response.status_code == 302 and response.url == "/done/"
    assert calls == [("first", "hi")]
    assert [str(message) for message in req._messages] == ["Done."]


def test_bad_input_shows_the_form_again_and_changes_nothing():
    response = RowAction.as_view()(request("post", {"note": "too long"}), pk="1")
    assert response.status_code == 200 and response.context_data["form"].errors["note"]
    assert calls == []


def test_a_row_the_form_does_not_offer_is_not_found():
    with pytest.raises(Http404):
        RowAction.as_view()(request("post", {"row": "2"}), pk="1")
    assert calls == []


def test_a_refused_object_is_forbidden_for_get_and_post():
    for method in ("get", "post"):
        with pytest.raises(PermissionDenied):
            RowAction.as_view()(request(method), pk="2")
    assert calls == []


def test_a_services_refusal_is_shown_with_the_form():
    view = RowAction.as_view(refusal=ValidationError({"note": "Taken."}))
    response = view(request("post", {"note": "x"}), pk="1")
    assert response.status_code == 200
    assert response.context_data["form"].errors["note"] == ["Taken."]
    view = RowAction.as_view(refusal=ValidationError("No.", code="rule"))
    form = view(request("post", {}), pk="1").context_data["form"]
    assert form.non_field_errors() == ["No."]


def test_a_services_role_refusal_is_a_403_not_a_form_error():
    view = RowAction.as_view(refusal=Forbidden("Not yours."))
    with pytest.raises(PermissionDenied):
        view(request("post", {}), pk="1")
    assert calls == []


def test_the_default_form_only_confirms():
    assert ConfirmForm({}).is_valid() and not ConfirmForm().fields


# --- PostActionView: the same action from a button on another page ------------------------


class RowButton(PostActionView):
    access_object = staticmethod(access_row)
    form_class = PickForm
    success_message = "Done."
    refusal = None

    def get_back_url(self):
        return f"/rows/{self.object}/"

    def check_object(self, row):
        if row == "second":
            raise PermissionDenied

    def perform(self, form):
        if self.refusal is not None:
            raise self.refusal
        calls.append((self.object, form.cleaned_data["note"]))


def messages_of(req):
    return [str(message) for message in req._messages]


def test_a_button_action_answers_post_only():
    assert RowButton.as_view()(request(), pk="1").status_code == 405
    assert calls == []


def test_a_button_action_calls_the_service_and_goes_back_with_a_message():
    req = request("post", {"row": "1", "note": "hi"})
    response = RowButton.as_view()(req, pk="1")
    assert response.status_code == 302 and response.url == "/rows/first/"
    assert calls == [("first", "hi")]
    assert messages_of(req) == ["Done."]


def test_a_button_action_goes_elsewhere_when_told():
    response = RowButton.as_view(success_url="/rows/")(request("post", {}), pk="1")
    assert response.url == "/rows/"


def test_a_button_actions_bad_input_goes_back_with_the_error():
    req = request("post", {"note": "too long"})
    response = RowButton.as_view()(req, pk="1")
    assert response.status_code == 302 and response.url == "/rows/first/"
    assert len(messages_of(req)) == 1 and "5 characters" in messages_of(req)[0]
    assert calls == []


def test_a_button_actions_refusal_goes_back_as_messages():
    req = request("post", {})
    view = RowButton.as_view(refusal=ValidationError(["No.", "Not now."]))
    response = view(req, pk="1")
    assert response.status_code == 302 and response.url == "/rows/first/"
    assert messages_of(req) == ["No.", "Not now."]


def test_a_button_action_on_an_unknown_or_refused_row_changes_nothing():
    for pk in ("3", "x"):
        with pytest.raises(Http404):
            RowButton.as_view()(request("post", {}), pk=pk)
    with pytest.raises(Http404):
        RowButton.as_view()(request("post", {"row": "2"}), pk="1")
    with pytest.raises(PermissionDenied):
        RowButton.as_view()(request("post", {}), pk="2")
    with pytest.raises(PermissionDenied):
        RowButton.as_view(refusal=Forbidden("Not yours."))(request("post", {}), pk="1")
    assert calls == []


# --- add_refusal and ChangePermissionMixin ----------------------------------------------


class AddressForm(forms.Form):
    local_part = forms.CharField(required=False)
    name = forms.CharField(required=False)


def test_a_refusal_lands_at_the_field_it_names_or_on_the_form():
    form = AddressForm({})
    form.is_valid()
    add_refusal(
        form,
        ValidationError({"email": "Taken.", "name": "Too long.", "colour": "Odd."}),
        fields={"email": "local_part"},
    )
    add_refusal(form, ValidationError("Not now."))
    assert form.errors["local_part"] == ["Taken."]
    assert form.errors["name"] == ["Too long."]
    assert form.non_field_errors() == ["Odd.", "Not now."]


def test_a_refusal_renamed_to_none_is_the_forms():
    form = AddressForm({})
    form.is_valid()
    add_refusal(form, ValidationError({"email": "Taken."}), fields={"email": None})
    assert form.non_field_errors() == ["Taken."] and "local_part" not in form.errors


class Holder:
    """A user who holds the permissions named."""

    is_authenticated = True

    def __init__(self, *perms):
        self.perms = set(perms)

    def has_perm(self, perm):
        return perm in self.perms


class SettingsPage(ChangePermissionMixin, FormView):
    change_permission = "app.change_thing"
    form_class = AddressForm
    template_name = "unused.html"
    success_url = "/saved/"


def as_holder(req, *perms):
    req.user = Holder(*perms)
    return req


def test_a_reader_sees_the_settings_disabled_and_cannot_save():
    response = SettingsPage.as_view()(as_holder(request()))
    form = response.context_data["form"]
    assert response.context_data["can_change"] is False
    assert all(field.disabled for field in form.fields.values())
    with pytest.raises(PermissionDenied):
        SettingsPage.as_view()(as_holder(request("post", {"name": "x"})))


def test_who_may_change_the_settings_saves_them():
    response = SettingsPage.as_view()(as_holder(request(), "app.change_thing"))
    assert response.context_data["can_change"] is True
    assert not any(field.disabled for field in response.context_data["form"].fields.values())
    saved = SettingsPage.as_view()(as_holder(request("post", {"name": "x"}), "app.change_thing"))
    assert saved.status_code == 302 and saved.url == "/saved/"


class AddressPage(ServiceFormMixin, FormView):
    form_class = AddressForm
    template_name = "unused.html"
    success_url = "/saved/"
    success_message = "Saved."
    refusal_fields = {"email": "local_part"}
    refusal = None

    def perform(self, form):
        if self.refusal is not None:
            raise self.refusal
        calls.append(form.cleaned_data["name"])


def test_a_form_page_calls_its_service_and_redirects_with_a_message():
    req = request("post", {"name": "x"})
    response = AddressPage.as_view()(req)
    assert response.status_code == 302 and response.url == "/saved/"
    assert calls == ["x"] and messages_of(req) == ["Saved."]


def test_a_form_pages_refusal_is_shown_on_the_form():
    view = AddressPage.as_view(refusal=ValidationError({"email": "Taken."}))
    response = view(request("post", {"name": "x"}))
    assert response.status_code == 200
    assert response.context_data["form"].errors["local_part"] == ["Taken."]
    with pytest.raises(PermissionDenied):
        AddressPage.as_view(refusal=Forbidden("Not yours."))(request("post", {"name": "x"}))
    assert calls == []
