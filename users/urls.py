from django.urls import path

from users import views

app_name = "users"

urlpatterns = [
    path("", views.UserListView.as_view(), name="user_list"),
    path("people/search/", views.PeopleSearchView.as_view(), name="people_search"),
    path("export/", views.UserExportView.as_view(), name="user_export"),
    path("export/<int:pk>/", views.ExportJobDetailView.as_view(), name="export_detail"),
    path(
        "export/<int:pk>/users.csv", views.ExportJobDownloadView.as_view(), name="export_download"
    ),
    path("bulk/block/", views.bulk.UserBulkBlockView.as_view(), name="user_bulk_block"),
    path("bulk/unblock/", views.bulk.UserBulkUnblockView.as_view(), name="user_bulk_unblock"),
    path(
        "bulk/reset-password/",
        views.bulk.UserBulkPasswordResetView.as_view(),
        name="user_bulk_password_reset",
    ),
    path("bulk/delete/", views.bulk.UserBulkDeleteView.as_view(), name="user_bulk_delete"),
    path(
        "bulk/assign-license/",
        views.bulk.UserBulkLicenseAssignView.as_view(),
        name="user_bulk_license_assign",
    ),
    path(
        "bulk/unassign-license/",
        views.bulk.UserBulkLicenseUnassignView.as_view(),
        name="user_bulk_license_unassign",
    ),
    path("bulk/export/", views.bulk.UserBulkExportView.as_view(), name="user_bulk_export"),
    path("deleted/", views.DeletedUserListView.as_view(), name="user_deleted_list"),
    path("deleted/<int:pk>/restore/", views.UserRestoreView.as_view(), name="user_restore"),
    path("add/", views.UserAddView.as_view(), name="user_add"),
    path("import/", views.UserImportView.as_view(), name="user_import"),
    path("import/confirm/", views.UserImportConfirmView.as_view(), name="user_import_confirm"),
    path("import/template.csv", views.UserImportTemplateView.as_view(), name="import_template"),
    path("import/errors.csv", views.UserImportErrorsView.as_view(), name="import_errors"),
    path("import/<int:pk>/", views.ImportJobDetailView.as_view(), name="import_detail"),
    path("import/<int:pk>/results.csv", views.ImportResultsView.as_view(), name="import_results"),
    path("roles/", views.RoleListView.as_view(), name="role_list"),
    path("roles/assign/", views.RoleAssignView.as_view(), name="role_assign"),
    path("roles/remove/", views.RoleRemoveView.as_view(), name="role_remove"),
    path("check-name/", views.UsernameCheckView.as_view(), name="username_check"),
    path("<int:pk>/", views.UserDetailView.as_view(), name="user_detail"),
    path("<int:pk>/edit/", views.UserEditView.as_view(), name="user_edit"),
    path("<int:pk>/contact/", views.UserContactView.as_view(), name="user_contact"),
    path("<int:pk>/sign-in-name/", views.UserRenameView.as_view(), name="user_rename"),
    path("<int:pk>/roles/", views.UserRolesView.as_view(), name="user_roles"),
    path("<int:pk>/licenses/", views.UserLicensesView.as_view(), name="user_licenses"),
    path("<int:pk>/groups/", views.UserGroupsView.as_view(), name="user_groups"),
    path("<int:pk>/groups/join/", views.UserGroupsJoinView.as_view(), name="user_groups_join"),
    path("<int:pk>/groups/leave/", views.UserGroupsLeaveView.as_view(), name="user_groups_leave"),
    path("<int:pk>/sign-out/", views.UserSignOutAllView.as_view(), name="user_signout_all"),
    path("<int:pk>/reregister/", views.UserReregisterView.as_view(), name="user_reregister"),
    path(
        "<int:pk>/methods/remove/", views.UserMethodRemoveView.as_view(), name="user_method_remove"
    ),
    path(
        "<int:pk>/temporary-pass/",
        views.UserTemporaryPassView.as_view(),
        name="user_temporary_pass",
    ),
    path("<int:pk>/block/", views.UserBlockView.as_view(), name="user_block"),
    path(
        "<int:pk>/reset-password/",
        views.UserPasswordResetView.as_view(),
        name="user_password_reset",
    ),
]
