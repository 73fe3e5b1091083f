from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import include, path


@login_required
def baseline(request):
    """A signed-in view that renders a small template: the yardstick for portal pages."""
    return render(request, "bench/baseline.html", {"name": request.user.display_name})


urlpatterns = [
    path("bench/baseline/", baseline),
    path("", include("admin_portal.urls")),
]
