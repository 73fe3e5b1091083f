from django.contrib import admin
from django.urls import include, path

from admin_portal import views
from admin_portal.search import SearchView
from api import rest

handler403 = "admin_portal.views.permission_denied"
handler404 = "admin_portal.views.page_not_found"
handler500 = "admin_portal.views.server_error"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("operators/", admin.site.urls),
    path("search/", SearchView.as_view(), name="search"),
    path("api/v1/", rest.api.urls),
    path("api/docs/", rest.docs, name="api_docs"),
    path("scim/v2/", include("scim.urls")),
    path("security-info/", include("security_info.urls")),
    path("users/", include("users.urls")),
    path("settings/api/", include("api.urls")),
    path("", include("sso.urls")),
    path("settings/", include("org_settings.urls")),
    path("billing/", include("billing.urls")),
    path("groups/", include("groups.urls")),
    path("health/", include("health.urls")),
    path("support/", include("support.urls")),
    path("resources/", include("resources.urls")),
    path("setup/", include("setup.urls")),
    path("reports/", include("reports.urls")),
    path("admin-centers/", include("security_center.urls")),
    path("password/reset/", include("security_info.reset_urls")),
    path("signin/passkey/", include("security_info.passkey_urls")),
    path("", include("accounts.urls")),
]
