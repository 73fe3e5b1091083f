from django.urls import path

from org_settings import views

app_name = "org_settings"

urlpatterns = [
    path("security/", views.SecuritySettingsView.as_view(), name="security"),
]
