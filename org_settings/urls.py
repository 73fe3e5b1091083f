from django.urls import path

from org_settings import views

app_name = "org_settings"

urlpatterns = [
    path("profile/", views.OrgProfileView.as_view(), name="profile"),
    path("domains/", views.DomainListView.as_view(), name="domain_list"),
    path("domains/<int:pk>/", views.DomainDetailView.as_view(), name="domain_detail"),
    path("domains/<int:pk>/verify/", views.DomainVerifyView.as_view(), name="domain_verify"),
    path(
        "domains/<int:pk>/default/",
        views.DomainSetDefaultView.as_view(),
        name="domain_set_default",
    ),
    path("domains/<int:pk>/remove/", views.DomainRemoveView.as_view(), name="domain_remove"),
    path("security/", views.SecuritySettingsView.as_view(), name="security"),
    path("releases/", views.ReleasePreferencesView.as_view(), name="releases"),
]
