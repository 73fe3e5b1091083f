from resources.models import Resource


def resource_address_exists(email):
    """Return whether a room or equipment (in any organization) has the address ``email``."""
    return Resource.objects.filter(email=email).exists()
