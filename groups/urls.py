from django.urls import path

from groups import views

app_name = "groups"

add_group = views.GroupAddView.as_view()

urlpatterns = [
    path("", views.GroupListView.as_view(), name="group_list"),
    path("export/", views.GroupExportView.as_view(), name="group_export"),
    path("delete/", views.GroupBulkDeleteView.as_view(), name="group_bulk_delete"),
    path("deleted/", views.DeletedGroupListView.as_view(), name="group_deleted_list"),
    path("deleted/<int:pk>/restore/", views.GroupRestoreView.as_view(), name="group_restore"),
    path("add/", add_group, name="group_add_start"),
    path("add/<slug:step>/", add_group, name="group_add"),
    path("check-address/", views.GroupAddressCheckView.as_view(), name="address_check"),
    path("<int:pk>/", views.GroupDetailView.as_view(), name="group_detail"),
    path("<int:pk>/general/", views.GroupGeneralView.as_view(), name="group_general"),
    path("<int:pk>/settings/", views.GroupSettingsView.as_view(), name="group_settings"),
    path("<int:pk>/rule/", views.GroupRuleSaveView.as_view(), name="group_rule_save"),
    path("<int:pk>/rule/remove/", views.GroupRuleRemoveView.as_view(), name="group_rule_remove"),
    path("<int:pk>/owners/add/", views.GroupOwnersAddView.as_view(), name="group_owners_add"),
    path(
        "<int:pk>/owners/remove/",
        views.GroupOwnersRemoveView.as_view(),
        name="group_owners_remove",
    ),
    path("<int:pk>/members/add/", views.GroupMembersAddView.as_view(), name="group_members_add"),
    path(
        "<int:pk>/members/remove/",
        views.GroupMembersRemoveView.as_view(),
        name="group_members_remove",
    ),
    path("<int:pk>/delete/", views.GroupDeleteView.as_view(), name="group_delete"),
]
