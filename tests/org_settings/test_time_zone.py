"""The organization's time zone: chosen on the org profile, used for every time shown."""

import pytest
from django.core.exceptions import ValidationError

from accounts.models import AuditEvent, Tenant
from accounts.roles import GLOBAL_READER, USER_ADMIN
from org_settings import services
from org_settings.forms import OrgProfileForm
from tests.factories import make_tenant, make_user
from tests.helpers import assert_forbidden, sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.tenant(name="Contoso")]


@pytest.fixture(autouse=True)
def _admin_reads_english(admin):
    """The times asserted here are written the English way."""
    admin.preferred_language = "en"
    admin.save(update_fields=["preferred_language"])


def profile(tenant, **changes):
    return {
        "name": tenant.name,
        "address": tenant.address,
        "phone": tenant.phone,
        "technical_contact_email": tenant.technical_contact_email,
        "preferred_language": tenant.preferred_language,
        "time_zone": tenant.time_zone,
        **changes,
    }


def test_a_new_organization_gets_the_platforms_zone(tenant, settings):
    assert tenant.time_zone == settings.TIME_ZONE
    settings.TIME_ZONE = "Europe/Brussels"
    assert make_tenant().time_zone == "Europe/Brussels"


def test_the_profile_offers_the_zones_grouped_by_region(client, tenant, admin):
    sign_in(client, admin)
    page = client.get("/settings/profile/").content.decode()
    assert '<select name="time_zone"' in page
    assert '<optgroup label="Europe">' in page
    assert '<option value="Europe/Amsterdam">Amsterdam (UTC+' in page
    assert '<option value="UTC" selected>UTC (UTC+00:00)</option>' in page


def test_global_admin_changes_the_zone_and_it_is_audited(client, tenant, admin):
    sign_in(client, admin)
    response = client.post("/settings/profile/", profile(tenant, time_zone="Europe/Amsterdam"))
    assert response.status_code == 302
    assert Tenant.objects.get(pk=tenant.pk).time_zone == "Europe/Amsterdam"
    event = AuditEvent.objects.get(tenant=tenant, action="tenant.profile.change")
    assert event.old_values == {"time_zone": "UTC"}
    assert event.new_values == {"time_zone": "Europe/Amsterdam"}
    # The next page is in the new zone.
    assert "Time (Europe/Amsterdam)" in client.get("/audit/").content.decode()


def test_an_unknown_zone_is_an_inline_error(client, tenant, admin):
    sign_in(client, admin)
    response = client.post("/settings/profile/", profile(tenant, time_zone="Europe/Atlantis"))
    assert response.status_code == 200
    assert "Select a valid choice." in response.context["form"].errors["time_zone"][0]
    assert Tenant.objects.get(pk=tenant.pk).time_zone == "UTC"
    assert not AuditEvent.objects.filter(action="tenant.profile.change").exists()


def test_the_service_refuses_an_unknown_zone(tenant, admin):
    with pytest.raises(ValidationError) as error:
        services.tenant_profile_update(tenant=tenant, acting_user=admin, time_zone="Mars/Olympus")
    assert "time_zone" in error.value.message_dict
    assert Tenant.objects.get(pk=tenant.pk).time_zone == "UTC"


def test_a_reader_sees_the_zone_but_cannot_change_it(client, tenant):
    sign_in(client, make_user(tenant, roles=[GLOBAL_READER]))
    page = client.get("/settings/profile/").content.decode()
    assert '<select name="time_zone"' in page and "disabled" in page
    assert_forbidden(client.post("/settings/profile/", profile(tenant, time_zone="Asia/Tokyo")))
    assert Tenant.objects.get(pk=tenant.pk).time_zone == "UTC"


def test_a_user_admin_cannot_change_the_zone(client, tenant):
    sign_in(client, make_user(tenant, roles=[USER_ADMIN]))
    assert_forbidden(client.post("/settings/profile/", profile(tenant, time_zone="Asia/Tokyo")))
    assert Tenant.objects.get(pk=tenant.pk).time_zone == "UTC"


def test_changing_one_organizations_zone_leaves_another_alone(client, tenant, admin):
    other = make_tenant(name="Fabrikam")
    sign_in(client, admin)
    client.post("/settings/profile/", profile(tenant, time_zone="Asia/Tokyo"))
    assert Tenant.objects.get(pk=other.pk).time_zone == "UTC"


def test_aliases_are_not_offered_but_a_chosen_one_stays(client, tenant, admin):
    tenant.time_zone = "Etc/UTC"
    tenant.save(update_fields=["time_zone"])
    sign_in(client, admin)
    page = client.get("/settings/profile/").content.decode()
    assert '<option value="Etc/UTC" selected>' in page
    assert 'value="US/Eastern"' not in page and 'value="Etc/GMT+5"' not in page
    response = client.post("/settings/profile/", profile(tenant, name="Contoso Ltd"))
    assert response.status_code == 302
    fresh = Tenant.objects.get(pk=tenant.pk)
    assert (fresh.name, fresh.time_zone) == ("Contoso Ltd", "Etc/UTC")


def test_organizations_on_offered_zones_share_the_zone_choices(tenant, other_tenant):
    tenant.time_zone, other_tenant.time_zone = "Europe/Amsterdam", "Asia/Tokyo"
    offered = OrgProfileForm(instance=tenant).fields["time_zone"].choices
    assert OrgProfileForm(instance=other_tenant).fields["time_zone"].choices is offered
    other_tenant.time_zone = "Etc/UTC"
    with_alias = OrgProfileForm(instance=other_tenant).fields["time_zone"].choices
    assert ("Etc", [("Etc/UTC", "UTC (UTC+00:00)")]) in list(with_alias)
    assert "Etc" not in [region for region, _zones in offered]
