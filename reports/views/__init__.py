"""The Reports area's pages: the index, the reports of today's figures, those over time."""

from reports.views.current import REPORTS, ReportIndexView, ReportView  # noqa: F401
from reports.views.trends import (  # noqa: F401
    LicenseUseReportView,
    PasswordResetReportView,
    RegistrationReportView,
    SignInReportView,
)
