from django.conf import settings


def portal(request):
    """Add the organization shown in the top bar."""
    return {
        "tenant": getattr(request, "tenant", None),
        "product_name": settings.PORTAL_PRODUCT_NAME,
    }
