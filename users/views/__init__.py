"""The Users area's pages, a module per page: list, bulk, detail, deleted, add, imports, roles."""

from users.views.add import UserAddDetailsView, UserAddReviewView, UserAddView, UsernameCheckView  # noqa: F401
from users.views.bulk import UserBulkView  # noqa: F401
from users.views.deleted import DeletedUserListView, UserRestoreView  # noqa: F401
from users.views.detail import (  # noqa: F401
    UserContactView,
    UserDetailView,
    UserEditView,
    UserGroupsView,
    UserLicensesView,
    UserPasswordResetView,
    UserRenameView,
)
from users.views.imports import (  # noqa: F401
    ImportJobDetailView,
    ImportResultsView,
    UserImportErrorsView,
    UserImportTemplateView,
    UserImportView,
)
from users.views.list import (  # noqa: F401
    ExportJobDetailView,
    ExportJobDownloadView,
    UserExportView,
    UserListView,
)
from users.views.roles import RoleListView, UserRolesView  # noqa: F401
