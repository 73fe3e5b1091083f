"""seed_demo and the areas' demo data together: every area seeded, once, mailing nobody."""

import io
from importlib import import_module

import pytest
from django.apps import apps
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils.module_loading import module_has_submodule

from accounts.management.commands.seed_demo import demo_account
from accounts.models import Tenant, User

pytestmark = pytest.mark.django_db

AREAS_WITH_DEMO = {"billing", "groups", "health", "resources", "support", "users"}


@pytest.fixture
def seed(settings, monkeypatch):
    settings.DEBUG = True
    monkeypatch.delenv("PORTAL_DEMO_PASSWORD", raising=False)

    def run(users=20):
        call_command("seed_demo", users=users, stdout=io.StringIO())
        return Tenant.objects.get(domain__name="contoso.example")

    return run


def row_counts():
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def test_every_area_with_data_to_show_has_a_demo_module_with_seed():
    found = {
        config.label
        for config in apps.get_app_configs()
        if module_has_submodule(config.module, "demo")
    }
    assert found >= AREAS_WITH_DEMO
    for label in found:
        assert callable(import_module(f"{apps.get_app_config(label).name}.demo").seed)


def test_a_second_run_adds_nothing_to_any_table(seed):
    seed()
    before = row_counts()

    seed()

    assert row_counts() == before


def test_seeding_mails_nobody(seed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        seed()
    assert mail.outbox == []


def test_every_area_has_rows_for_the_demo_tenant(seed):
    tenant = seed()
    for label in AREAS_WITH_DEMO - {"health", "users"}:
        tenant_models = [
            model
            for model in apps.get_app_config(label).get_models()
            if any(field.name == "tenant" for field in model._meta.fields)
        ]
        assert any(model.objects.filter(tenant=tenant).exists() for model in tenant_models), label
    health_models = apps.get_app_config("health").get_models()
    assert all(
        model.objects.exists() for model in health_models if model.__name__ != "AnnouncementRead"
    )
    assert User.objects.for_tenant(tenant).deleted().exists()


def test_seeding_with_no_ordinary_users_still_works(seed):
    tenant = seed(users=0)
    assert User.objects.for_tenant(tenant).active().count() == 9


def test_demo_account_finds_an_active_demo_account_of_the_tenant(seed):
    tenant = seed(users=0)
    assert demo_account(tenant, "admin").username == "admin@contoso.example"
    with pytest.raises(User.DoesNotExist):
        demo_account(tenant, "nobody")


def test_the_demo_admin_opens_every_area_and_its_demo_objects(seed, client):
    from billing.models import Invoice, Subscription
    from groups.models import Group
    from health.models import Announcement, Incident
    from resources.models import Resource
    from support.models import ServiceRequest
    from tests.helpers import sign_in

    tenant = seed()
    Tenant.objects.filter(pk=tenant.pk).update(require_mfa_for_admins=False)
    sign_in(client, demo_account(tenant, "admin"))
    urls = [
        reverse(name)
        for name in (
            "users:user_list",
            "users:user_deleted_list",
            "groups:group_list",
            "groups:group_deleted_list",
            "billing:subscription_list",
            "billing:license_list",
            "billing:invoice_list",
            "billing:paymentmethod_list",
            "billing:billingaccount_list",
            "resources:resource_list",
            "health:service_health",
            "health:message_center",
            "support:request_list",
        )
    ]
    urls += [
        group.get_absolute_url()
        for group in Group.objects.for_tenant(tenant).filter(deleted_at=None)
    ]
    urls += [s.get_absolute_url() for s in Subscription.objects.for_tenant(tenant)]
    urls += [i.get_absolute_url() for i in Invoice.objects.for_tenant(tenant)]
    urls += [
        reverse("billing:invoice_pdf", args=[i.pk]) for i in Invoice.objects.for_tenant(tenant)
    ]
    urls += [r.get_absolute_url() for r in Resource.objects.for_tenant(tenant)]
    urls += [r.get_absolute_url() for r in ServiceRequest.objects.for_tenant(tenant)]
    urls += [i.get_absolute_url() for i in Incident.objects.all()]
    urls += [a.get_absolute_url() for a in Announcement.objects.all()]
    for url in urls:
        assert client.get(url).status_code == 200, url
