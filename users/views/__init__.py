"""The Users area's pages, a module per page (list, bulk, detail, methods, deleted, add, ...)."""

from users.views.add import UserAddView, UsernameCheckView  # noqa: F401
from users.views.bulk import UserBulkView  # noqa: F401
from users.views.deleted import DeletedUserListView, UserRestoreView  # noqa: F401
from users.views.detail import (  # noqa: F401
    UserBlockView,
    UserContactView,
    UserDetailView,
    UserEditView,
    UserGroupsJoinView,
    UserGroupsLeaveView,
    UserGroupsView,
    UserLicensesView,
    UserPasswordResetView,
    UserRenameView,
)
from users.views.imports import (  # noqa: F401
    ImportJobDetailView,
    ImportResultsView,
    UserImportConfirmView,
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
from users.views.methods import (  # noqa: F401
    UserMethodRemoveView,
    UserReregisterView,
    UserSignOutAllView,
    UserTemporaryPassView,
)
from users.views.people import PeopleSearchView  # noqa: F401
from users.views.roles import RoleAssignView, RoleListView, RoleRemoveView, UserRolesView  # noqa: F401
