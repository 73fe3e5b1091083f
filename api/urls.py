from django.urls import path

from api import views

app_name = "api"

urlpatterns = [
    path("", views.ApiClientListView.as_view(), name="apiclient_list"),
    path("add/", views.ApiClientAddView.as_view(), name="apiclient_add"),
    path("<int:pk>/", views.ApiClientDetailView.as_view(), name="apiclient_detail"),
    path("<int:pk>/rotate/", views.ApiClientRotateView.as_view(), name="apiclient_rotate"),
    path("<int:pk>/revoke/", views.ApiClientRevokeView.as_view(), name="apiclient_revoke"),
]
