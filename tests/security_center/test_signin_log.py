"""The sign-in log: one row for every sign-in attempt that ends, and none for anything else."""

from datetime import timedelta

import pytest
from django.test import RequestFactory, override_settings
from django.utils import timezone

from accounts import signin
from accounts.models import AuditEvent, Tenant
from accounts.roles import HELPDESK_ADMIN
from security_center import services
from security_center.models import SignIn
from security_info import services as security_info_services
from security_info.models import TemporaryPassDevice
from tests.factories import PASSWORD, make_user
from tests.helpers import lock_out, make_app, make_phone, totp_code

pytestmark = pytest.mark.django_db

CHROME_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
SAFARI_ON_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def post_password(client, username, password=PASSWORD, **extra):
    return client.post("/signin/", {"username": username, "password": password}, **extra)


def only_row():
    rows = list(SignIn.objects.all())
    assert len(rows) == 1, rows
    return rows[0]


def test_a_sign_in_with_the_password_alone_is_a_success_without_second_step(client, tenant):
    user = make_user(tenant)
    response = post_password(client, user.username, HTTP_USER_AGENT=CHROME_ON_WINDOWS)
    assert response.status_code == 302
    row = only_row()
    assert (row.tenant, row.user, row.username) == (tenant, user, user.username)
    assert (row.result, row.reason, row.method) == ("success", "", "")
    assert (row.browser, row.operating_system) == ("Chrome 131", "Windows 10")
    assert row.ip_address == "127.0.0.1"
    assert row.user_agent == CHROME_ON_WINDOWS
    # The audit event is kept as it was.
    assert AuditEvent.objects.filter(action="signin.success", target_id=str(user.pk)).count() == 1


def test_a_wrong_password_is_logged_for_the_person(client, tenant):
    user = make_user(tenant)
    post_password(client, user.username, "Not-The-Password-1")
    row = only_row()
    assert (row.tenant, row.user, row.result, row.reason) == (
        tenant,
        user,
        "failure",
        "wrong_password",
    )
    assert AuditEvent.objects.filter(action="signin.failure").count() == 1


def test_a_name_nobody_has_belongs_to_no_organization(client, tenant):
    post_password(client, "nobody@nowhere.example", "Whatever-Password-1")
    row = only_row()
    assert row.tenant is None and row.user is None
    assert row.username == "nobody@nowhere.example"
    assert row.reason == "wrong_password"
    assert not SignIn.objects.for_tenant(tenant).exists()


def test_the_right_password_of_a_blocked_account_is_logged_as_blocked(client, tenant):
    user = make_user(tenant, is_sign_in_blocked=True)
    post_password(client, user.username)
    assert (only_row().user, only_row().reason) == (user, "blocked")


def test_a_wrong_password_of_a_blocked_account_is_a_wrong_password(client, tenant):
    user = make_user(tenant, is_sign_in_blocked=True)
    post_password(client, user.username, "Not-The-Password-1")
    assert only_row().reason == "wrong_password"


def test_the_right_password_in_a_suspended_organization_is_logged_as_disabled(client, tenant):
    user = make_user(tenant)
    Tenant.objects.filter(pk=tenant.pk).update(status=Tenant.Status.SUSPENDED)
    post_password(client, user.username)
    assert (only_row().tenant_id, only_row().reason) == (tenant.pk, "account_disabled")


def test_an_attempt_refused_by_the_lockout_is_logged_as_locked_out(client, tenant):
    user = make_user(tenant)
    lock_out(user.username)
    response = post_password(client, user.username)
    assert response.status_code == 429
    row = only_row()
    assert (row.user, row.result, row.reason) == (user, "failure", "locked_out")


def _past_the_password(client, user):
    response = post_password(client, user.username)
    assert response.url.startswith("/signin/verify/")
    assert not SignIn.objects.exists()  # half a sign-in is no attempt that ended


def test_a_wrong_code_is_a_failed_second_step_with_its_method(client, tenant):
    user = make_user(tenant)
    phone = make_phone(user)
    _past_the_password(client, user)
    client.post("/signin/verify/", {"otp_device": phone.persistent_id, "otp_token": "000000"})
    row = only_row()
    assert (row.user, row.reason, row.method) == (user, "second_step_failed", "text_message")


def test_a_code_from_the_app_signs_in_with_the_app(client, tenant):
    user = make_user(tenant)
    app = make_app(user)
    _past_the_password(client, user)
    response = client.post(
        "/signin/verify/", {"otp_device": app.persistent_id, "otp_token": totp_code(app)}
    )
    assert response.status_code == 302
    row = only_row()
    assert (row.result, row.reason, row.method) == ("success", "", "app")


def test_an_expired_temporary_access_pass_is_logged_as_such(client, tenant):
    user = make_user(tenant)
    make_phone(user)  # lost
    helpdesk = make_user(tenant, roles=[HELPDESK_ADMIN])
    token = security_info_services.temporary_pass_issue(user=user, acting_user=helpdesk, hours=1)
    device = TemporaryPassDevice.objects.get(user=user)
    _past_the_password(client, user)
    # The page offered the pass; it expired before the person sent it.
    TemporaryPassDevice.objects.filter(pk=device.pk).update(
        valid_until=timezone.now() - timedelta(seconds=1)
    )
    client.post("/signin/verify/", {"otp_device": device.persistent_id, "otp_token": token})
    row = only_row()
    assert (row.reason, row.method) == ("temporary_pass_expired", "temporary_pass")


def test_a_temporary_access_pass_that_works_is_the_method_of_the_sign_in(client, tenant):
    user = make_user(tenant)
    make_phone(user)
    helpdesk = make_user(tenant, roles=[HELPDESK_ADMIN])
    token = security_info_services.temporary_pass_issue(user=user, acting_user=helpdesk, hours=1)
    device = TemporaryPassDevice.objects.get(user=user)
    _past_the_password(client, user)
    client.post("/signin/verify/", {"otp_device": device.persistent_id, "otp_token": token})
    assert (only_row().result, only_row().method) == ("success", "temporary_pass")


def test_a_second_step_refused_by_the_lockout_is_logged_as_locked_out(client, tenant):
    user = make_user(tenant)
    phone = make_phone(user)
    _past_the_password(client, user)
    lock_out(user.username)
    response = client.post(
        "/signin/verify/", {"otp_device": phone.persistent_id, "otp_token": "000000"}
    )
    assert response.status_code == 429
    assert (only_row().user, only_row().reason) == (user, "locked_out")


def _request(agent=CHROME_ON_WINDOWS, **meta):
    request = RequestFactory().post("/signin/passkey/", HTTP_USER_AGENT=agent, **meta)
    return request


def test_a_passkey_that_does_not_verify_is_logged_with_the_passkey(tenant):
    user = make_user(tenant)
    with pytest.raises(signin.SignInError):
        signin.signin_passkey_failed(_request(), user)
    row = only_row()
    assert (row.user, row.reason, row.method) == (user, "passkey_failed", "passkey")


def test_a_passkey_nobody_registered_belongs_to_no_organization(tenant):
    with pytest.raises(signin.SignInError):
        signin.signin_passkey_failed(_request())
    row = only_row()
    assert (row.tenant, row.user, row.reason) == (None, None, "passkey_failed")


def test_a_passkey_of_a_blocked_account_is_logged_as_blocked(tenant):
    user = make_user(tenant, is_sign_in_blocked=True)
    with pytest.raises(signin.SignInError):
        signin.signin_ready(_request(), user)
    assert (only_row().reason, only_row().method) == ("blocked", "passkey")


def test_a_passkey_refused_by_the_lockout_is_logged_as_locked_out(tenant):
    user = make_user(tenant)
    lock_out(user.username)
    with pytest.raises(signin.SignInError):
        signin.signin_ready(_request(), user)
    assert only_row().reason == "locked_out"


def test_confirming_it_is_you_is_no_sign_in(tenant):
    user = make_user(tenant)
    with pytest.raises(signin.SignInError):
        signin.record_failure(_request(), user, "reauth.passkey_failure")
    assert not SignIn.objects.exists()


def test_a_password_reset_a_change_and_a_sign_out_are_no_sign_ins(client, tenant):
    user = make_user(tenant)
    client.post("/password/reset/", {"username": user.username})
    assert not SignIn.objects.exists()
    post_password(client, user.username)
    SignIn.objects.all().delete()
    client.post("/signout/")
    assert not SignIn.objects.exists()


def test_the_browser_and_system_are_parsed_from_the_user_agent(client, tenant):
    user = make_user(tenant)
    post_password(client, user.username, HTTP_USER_AGENT=SAFARI_ON_IPHONE)
    row = only_row()
    assert row.browser == "Mobile Safari 17"
    assert row.operating_system == "iOS 17.5"


def test_an_unknown_user_agent_leaves_browser_and_system_empty():
    assert services.browser_and_os("") == ("", "")
    assert services.browser_and_os("x") == ("", "")


@override_settings(PORTAL_TRUSTED_PROXIES=1)
def test_the_address_is_the_one_the_trusted_proxy_saw(client, tenant):
    user = make_user(tenant)
    post_password(
        client,
        user.username,
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="192.0.2.66, 203.0.113.7",
    )
    assert only_row().ip_address == "203.0.113.7"


@override_settings(PORTAL_TRUSTED_PROXIES=0)
def test_without_trusted_proxies_the_forwarded_header_is_ignored(client, tenant):
    user = make_user(tenant)
    post_password(client, user.username, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert only_row().ip_address == "10.0.0.2"


def _row(tenant, days_ago, **fields):
    return SignIn.objects.create(
        tenant=tenant,
        username="someone@example.org",
        result="success",
        created_at=timezone.now() - timedelta(days=days_ago),
        **fields,
    )


def test_the_nightly_purge_deletes_rows_past_the_retention(tenant, settings):
    kept = _row(tenant, 29)
    _row(tenant, 31)
    _row(None, 45)
    assert services.signins_purge() == 2
    assert list(SignIn.objects.all()) == [kept]
    settings.PORTAL_SIGNIN_LOG_DAYS = 7
    assert services.signins_purge() == 1
    assert not SignIn.objects.exists()


def test_the_purge_is_a_nightly_job(settings):
    from security_center.tasks import purge_signins

    jobs = {job["task"] for job in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "security_center.tasks.purge_signins" in jobs
    assert purge_signins() == 0


@pytest.mark.parametrize(
    "posted", ["", "nonsense", "accounts.user/1", "otp_totp.totpdevice/99999999999999999999999"]
)
def test_a_crafted_method_id_is_a_failed_second_step_without_method(client, tenant, posted):
    user = make_user(tenant)
    make_phone(user)
    _past_the_password(client, user)
    client.post("/signin/verify/", {"otp_device": posted, "otp_token": "000000"})
    assert (only_row().reason, only_row().method) == ("second_step_failed", "")


def test_another_persons_method_id_is_not_taken_as_the_method(client, tenant):
    user = make_user(tenant)
    make_phone(user)
    someone_else = make_app(make_user(tenant))
    _past_the_password(client, user)
    client.post("/signin/verify/", {"otp_device": someone_else.persistent_id, "otp_token": "1"})
    assert only_row().method == ""
