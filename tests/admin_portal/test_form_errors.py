"""Errors are tied to their field (aria-describedby, aria-invalid) and summarized at the top."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


class Elements(HTMLParser):
    """Collect every element's attributes, and the text inside each element with an id."""

    def __init__(self):
        super().__init__()
        self.by_id = {}
        self.inputs = {}
        self.open_ids = []
        self.summary_links = []
        self._in_summary = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in {"input", "select", "textarea"} and attrs.get("name"):
            self.inputs[attrs["name"]] = attrs
        if "error-summary" in (attrs.get("class") or ""):
            self._in_summary = 1
        if self._in_summary and tag == "a":
            self.summary_links.append(attrs.get("href"))
        if attrs.get("id"):
            self.by_id[attrs["id"]] = ""
            self.open_ids.append((tag, attrs["id"]))

    def handle_endtag(self, tag):
        if self.open_ids and self.open_ids[-1][0] == tag:
            self.open_ids.pop()

    def handle_data(self, data):
        for _tag, element_id in self.open_ids:
            self.by_id[element_id] += data


def test_a_field_with_an_error_points_at_its_message_and_the_summary_links_to_it(client):
    response = client.post(reverse("accounts:signin"), {"username": "", "password": ""})
    assert response.status_code == 200
    page = Elements()
    page.feed(response.content.decode())

    field = page.inputs["username"]
    assert field.get("aria-invalid") == "true"
    described = field["aria-describedby"].split()
    assert "id_username_error" in described
    assert "required" in page.by_id["id_username_error"]
    # Every id it names exists on the page.
    assert all(element_id in page.by_id for element_id in described)
    assert "#id_username" in page.summary_links
