"""The Groups area's pages, a module per page: list, detail, members, delete, deleted, add."""

from groups.views.add import (  # noqa: F401
    STEP_NAMES,
    GroupAddressCheckView,
    GroupAddView,
)
from groups.views.delete import GroupBulkDeleteView, GroupDeleteView  # noqa: F401
from groups.views.deleted import DeletedGroupListView, GroupRestoreView  # noqa: F401
from groups.views.detail import (  # noqa: F401
    GroupDetailView,
    GroupGeneralView,
    GroupRuleRemoveView,
    GroupRuleSaveView,
    GroupSettingsView,
)
from groups.views.list import GroupExportView, GroupListView  # noqa: F401
from groups.views.members import (  # noqa: F401
    GroupMembersAddView,
    GroupMembersRemoveView,
    GroupOwnersAddView,
    GroupOwnersRemoveView,
)
