from django.contrib import admin

from core.admin import ReadOnlyAdmin
from sso.models import IdentityProvider


@admin.register(IdentityProvider)
class IdentityProviderAdmin(ReadOnlyAdmin):
    """Organizations' identity providers for operators: which domain signs in where.

    Read only: each organization's Global admins add, test, switch on and remove
    them in Settings > Single sign-on, where every change is audited and told to
    the other Global admins. Secrets and keys are never shown here.
    """

    list_display = ["name", "tenant", "protocol", "is_enabled", "tested_at", "created_at"]
    list_filter = ["protocol", "is_enabled"]
    search_fields = ["name", "tenant__name", "federated_domains__domain__name"]
    list_select_related = ["tenant"]
    fields = [
        "tenant",
        "name",
        "protocol",
        "is_enabled",
        "trust_mfa",
        "jit_create",
        "issuer",
        "client_id",
        "scopes",
        "username_claim",
        "idp_entity_id",
        "metadata_url",
        "username_attribute",
        "changed_at",
        "tested_at",
        "created_at",
        "created_by",
    ]
    readonly_fields = fields
