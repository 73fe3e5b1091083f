from django.urls import path

from groups import views

app_name = "groups"

urlpatterns = [
    path("", views.GroupListView.as_view(), name="group_list"),
    path("export/", views.GroupExportView.as_view(), name="group_export"),
    path("deleted/", views.DeletedGroupListView.as_view(), name="group_deleted_list"),
    path("deleted/<int:pk>/restore/", views.GroupRestoreView.as_view(), name="group_restore"),
    path("add/", views.GroupAddView.as_view(), name="group_add_start"),
    path("add/<slug:step>/", views.GroupAddView.as_view(), name="group_add"),
    path("check-address/", views.GroupAddressCheckView.as_view(), name="address_check"),
    path("<int:pk>/", views.GroupDetailView.as_view(), name="group_detail"),
]
