from django.urls import path

from setup import views

app_name = "setup"

urlpatterns = [
    path("", views.SetupView.as_view(), name="index"),
    path(
        "recommended-actions/", views.RecommendedActionsView.as_view(), name="recommended_actions"
    ),
    path("admin-access/", views.AdminAccessView.as_view(), name="admin_access"),
]
