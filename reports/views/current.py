from django.http import Http404
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.generic import TemplateView

from accounts.mixins import TenantScopedMixin
from accounts.roles import VIEW_REPORTS
from core import l10n
from core.csv_export import streaming_csv_response
from core.pagecache import EVENTS, CachedPageMixin
from reports import charts, selectors

# The reports of current figures, by slug (``reports:report``).
REPORTS = {
    "active-users": _lazy("Active users"),
    "licenses": _lazy("License usage"),
    "security-info": _lazy("Security info registration"),
    "groups": _lazy("Groups"),
}
# What each report shows, in one line under its title, and the title of its chart.
REPORT_INTROS = {
    "active-users": _lazy("How many people signed in each day, over the period you choose."),
    "licenses": _lazy("Licenses of each product assigned to people, against those bought."),
    "security-info": _lazy(
        "Who has registered which methods, and who cannot reset their own password yet."
    ),
    "groups": _lazy("How many groups of each type your organization has."),
}
CHART_TITLES = {
    "active-users": _lazy("People who signed in per day"),
    "licenses": _lazy("Licenses assigned per product"),
    "security-info": _lazy("People who cannot reset their own password"),
    "groups": _lazy("Groups per type"),
}
# The reports over time: (URL name, title, what it shows).
TREND_REPORTS = [
    (
        "reports:signin_report",
        _lazy("Sign-ins"),
        _lazy("Sign-in attempts per day by result, and by how people proved who they are."),
    ),
    (
        "reports:password_reset_report",
        _lazy("Self-service password resets"),
        _lazy("Passwords people reset themselves, and the resets that were refused."),
    ),
    (
        "reports:registration_report",
        _lazy("Security info registrations"),
        _lazy("Phones, email addresses, apps, passkeys and backup codes registered per day."),
    ),
    (
        "reports:license_use_report",
        _lazy("License use over time"),
        _lazy("Licenses assigned per product at the end of each day, against those bought."),
    ),
]


class ReportIndexView(TenantScopedMixin, CachedPageMixin, TemplateView):
    page_cache_scope = EVENTS  # sign-ins count here
    permission_required = VIEW_REPORTS
    template_name = "reports/index.html"

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "trends": [(reverse(name), title, text) for name, title, text in TREND_REPORTS],
            "reports": REPORTS,
        }


class ReportView(TenantScopedMixin, CachedPageMixin, TemplateView):
    page_cache_scope = EVENTS  # sign-ins count here
    """One report: a chart, the same figures as a table, a period where it has one, CSV."""

    permission_required = VIEW_REPORTS
    template_name = "reports/report.html"

    def get(self, request, *args, **kwargs):
        slug = kwargs["slug"]
        if slug not in REPORTS:
            raise Http404
        header, rows, chart_rows, period = self.data(slug)
        if request.GET.get("format") == "csv":
            return streaming_csv_response(f"{slug}.csv", header, rows)
        context = self.get_context_data(
            slug=slug,
            title=REPORTS[slug],
            intro=REPORT_INTROS[slug],
            chart_title=CHART_TITLES[slug],
            header=header,
            rows=rows,
            chart=mark_safe(self.chart(slug, chart_rows)),  # noqa: S308 - escaped
            period=period,
            periods=selectors.PERIODS if period else (),
            reports=REPORTS,
        )
        return self.render_to_response(context)

    def chart(self, slug, chart_rows):
        """Return the report's chart as SVG: a line over time for a daily series, else bars."""
        title = CHART_TITLES[slug]
        if slug != "active-users":
            return charts.bar_chart(chart_rows, title=title)
        if chart_rows:
            values = [people for _day, people in chart_rows]
            description = _(
                "From %(first)s to %(last)s: lowest %(low)s, highest %(high)s people a day."
            ) % {
                "first": l10n.format_date(chart_rows[0][0]),
                "last": l10n.format_date(chart_rows[-1][0]),
                "low": l10n.format_number(min(values)),
                "high": l10n.format_number(max(values)),
            }
        else:
            description = _("Nothing to show yet.")
        return charts.line_chart(
            chart_rows,
            title=title,
            description=description,
            format_x=l10n.format_month_day,
            format_y=l10n.format_number,
            chart_id=f"chart-{slug}",
        )

    def data(self, slug):
        tenant = self.request.tenant
        if slug == "active-users":
            try:
                days = int(self.request.GET.get("period", "30"))
            except ValueError:
                days = 30
            days = days if days in selectors.PERIODS else 30
            daily = selectors.active_users(tenant=tenant, days=days)
            # Dates, not text: the page shows them in the reader's language, CSV as ISO.
            rows = [[day, people] for day, people in daily]
            return (
                [_("Day"), _("People who signed in")],
                rows,
                daily,
                days,
            )
        if slug == "licenses":
            usage = selectors.license_usage(tenant=tenant)
            rows = [[name, assigned, bought, bought - assigned] for name, assigned, bought in usage]
            return (
                [_("Product"), _("Assigned"), _("Bought"), _("Available")],
                rows,
                [(name, assigned) for name, assigned, _bought in usage],
                None,
            )
        if slug == "security-info":
            figures = selectors.security_registration(tenant=tenant)
            rows = [
                [who, f["total"], f["phone"], f["email"], f["app"], f["stuck"]]
                for who, f in figures
            ]
            chart = [
                (_("%(who)s who can't reset alone") % {"who": who}, f["stuck"])
                for who, f in figures
            ]
            return (
                [
                    _("Who"),
                    _("Total"),
                    _("Mobile phone"),
                    _("Alternate email"),
                    _("Authenticator app"),
                    _("Can't reset their own password"),
                ],
                rows,
                chart,
                None,
            )
        counts = selectors.group_counts(tenant=tenant)
        return [_("Type"), _("Groups")], [[label, n] for label, n in counts], counts, None
