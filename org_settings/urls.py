from django.urls import path

from org_settings import views

app_name = "org_settings"

urlpatterns = [
    path("profile/", views.OrgProfileView.as_view(), name="profile"),
    path("domains/", views.DomainListView.as_view(), name="domain_list"),
    path("domains/<int:pk>/", views.DomainDetailView.as_view(), name="domain_detail"),
    path("security/", views.SecuritySettingsView.as_view(), name="security"),
    path("releases/", views.ReleasePreferencesView.as_view(), name="releases"),
]
