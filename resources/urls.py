from django.urls import path

from resources import views

app_name = "resources"

urlpatterns = [
    path("", views.ResourceListView.as_view(), name="resource_list"),
    path("add/", views.ResourceAddView.as_view(), name="resource_add"),
    path("<int:pk>/", views.ResourceEditView.as_view(), name="resource_edit"),
    path("<int:pk>/delete/", views.ResourceDeleteView.as_view(), name="resource_delete"),
]
