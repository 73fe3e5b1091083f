"""Groups for the Groups area's tests."""

from groups import services

# The add-group wizard's management field: which step a POST answers.
WIZARD_STEP = "group_add-current_step"


def make_group(tenant, admin, kind="team", **fields):
    """Create a group of ``kind`` through the service, with the fields its kind needs."""
    defaults = {
        "name": "Sales",
        "email": f"sales@{tenant.domain_set.get().name}" if kind != "security" else "",
        "privacy": "private" if kind == "team" else "",
        "owners": [admin] if kind == "team" else [],
    }
    return services.group_create(
        tenant=tenant, acting_user=admin, kind=kind, **{**defaults, **fields}
    )
