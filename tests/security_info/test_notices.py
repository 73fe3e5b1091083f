"""Notices of security info changes, sent to the alternate email."""

import logging
import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

from core.models import OutboundMessage
from security_info.notices import notify_security_change
from tests.factories import make_tenant, make_user
from tests.helpers import make_alt_email

pytestmark = pytest.mark.django_db


class FailingEmailBackend(BaseEmailBackend):
    """An SMTP server that refuses everything (named by dotted path below)."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("connection closed")


@pytest.fixture
def user():
    return make_user(make_tenant(), "megan", display_name="Megan Bowen")


def test_notice_goes_to_the_verified_alternate_email(user):
    make_alt_email(user, "megan@example.org")

    notify_security_change(user, change="Mobile phone set to +31 6 ••••••78")

    [notice] = mail.outbox
    assert notice.to == ["megan@example.org"]
    assert notice.subject == "Your security info was changed"
    assert "Hello Megan Bowen," in notice.body
    assert user.username in notice.body
    assert "Mobile phone set to +31 6 ••••••78" in notice.body


def test_notice_links_to_security_info_on_the_portal_base_url(user, settings):
    settings.PORTAL_BASE_URL = "https://portal.example.net"
    make_alt_email(user, "megan@example.org")

    notify_security_change(user, change="Backup codes created")

    assert "https://portal.example.net/security-info/" in mail.outbox[0].body


def test_notice_is_plain_text_without_html_escaping(user):
    make_alt_email(user, "megan@example.org")

    notify_security_change(user, change="Authenticator app Tom's <phone> added")

    assert "Tom's <phone>" in mail.outbox[0].body


def test_notice_also_goes_to_a_replaced_address_once(user):
    make_alt_email(user, "megan@example.org")

    notify_security_change(
        user, change="changed", also_to=["old@example.net", "MEGAN@example.org", ""]
    )

    [notice] = mail.outbox
    assert sorted(notice.to) == ["megan@example.org", "old@example.net"]


def test_no_notice_without_a_verified_alternate_email(user):
    make_alt_email(user, "pending@example.org", confirmed=False)

    notify_security_change(user, change="changed")

    assert mail.outbox == []


def test_no_notice_to_another_users_address(user):
    make_alt_email(make_user(user.tenant), "colleague@example.org")

    notify_security_change(user, change="changed")

    assert mail.outbox == []


def test_failed_notice_is_queued_and_logged_without_the_address(user, settings, caplog):
    settings.EMAIL_BACKEND = f"{__name__}.FailingEmailBackend"
    make_alt_email(user, "megan@example.org")

    with caplog.at_level(logging.WARNING, logger="core.outbox"):
        notify_security_change(user, change="changed")

    assert "(security notice) failed, try 1" in caplog.text
    assert "megan@example.org" not in caplog.text
    queued = OutboundMessage.objects.get(kind="security notice")
    assert queued.status == OutboundMessage.Status.QUEUED
    assert queued.recipients == "megan@example.org"
