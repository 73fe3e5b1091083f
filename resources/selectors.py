from accounts.models import User
from core.access import object_or_404
from resources.models import Resource


def access_resource_by_id(actor: User, resource_id: object) -> Resource:
    """Return the resource ``resource_id`` of ``actor``'s organization, or raise Http404."""
    return object_or_404(Resource.objects.for_tenant(actor.tenant), resource_id)
