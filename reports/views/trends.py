"""Reports over time: figures per day over a period, the people behind them, CSV."""

from operator import itemgetter
from urllib.parse import urlencode

import django_filters
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.mixins import TenantScopedMixin
from accounts.models import AuditEvent
from accounts.roles import VIEW_REPORTS
from core import l10n
from core.csv_export import streaming_csv_response
from core.filters import CharFilter, ChoiceFilter, KeptFormClassMixin
from core.pagecache import EVENTS
from core.tables import Column, EventTimeColumn
from core.views import ObjectListView
from reports import charts, selectors, services


class PeriodFilter(KeptFormClassMixin, django_filters.FilterSet):
    """A report's period and its people's sort, from the query string; neither narrows."""

    period = ChoiceFilter(
        choices=[(str(days), str(days)) for days in selectors.PERIODS], method="keep"
    )
    sort = CharFilter(method="keep")
    narrowed = False  # a period is no search: an empty table says "nobody", not "no match"

    class Meta:
        model = AuditEvent
        fields = []

    def keep(self, queryset, name, value):
        return queryset

    @property
    def days(self):
        """Return the period asked for, in days, else the default."""
        if self.is_bound and self.is_valid() and self.form.cleaned_data.get("period"):
            return int(self.form.cleaned_data["period"])
        return selectors.DEFAULT_PERIOD


PERSON = Column(_lazy("Person"), itemgetter("name"), sort="name")
SIGN_IN_NAME = Column(_lazy("Sign-in name"), itemgetter("username"), sort="username")


class TrendReportView(TenantScopedMixin, ObjectListView):
    """A report over the last 7 to 180 days: charts per day, its people, two CSV files.

    A subclass returns its charts from ``get_charts()``: [(chart title, [(key,
    label, style or None)], [(date, {key: figure})])], the figures from a
    selector; and its people from ``people(tenant, days)`` (a queryset of dicts),
    shown in its ``columns`` and sorted by its ``sort_keys``.
    ``?format=csv`` downloads the figures per day, ``?export=csv`` the people
    (audited).
    """

    permission_required = VIEW_REPORTS
    page_cache_scope = EVENTS  # sign-ins count here
    template_name = "reports/trend.html"
    page_sizes = (50, 100, 200)
    default_sort = "-last"
    slug = ""
    title = ""
    intro = ""
    people_heading = _lazy("People")
    empty_text = _lazy("Nobody in this period.")
    empty_filtered_text = empty_text

    @property
    def csv_filename(self):
        return f"{self.slug}-people-{self.days}-days.csv"

    def get(self, request, *args, **kwargs):
        self.filterset = PeriodFilter(request.GET or None, queryset=AuditEvent.objects.none())
        self.days = self.filterset.days
        if request.GET.get("format") == "csv":
            header, rows = self.figures()
            return streaming_csv_response(f"{self.slug}-{self.days}-days.csv", header, rows)
        return super().get(request, *args, **kwargs)

    def get_charts(self):
        raise NotImplementedError

    def people(self, tenant, days):
        raise NotImplementedError

    def get_filtered(self, params):
        return self.people(self.request.tenant, self.days), self.filterset

    def csv_rows(self, queryset):
        """Yield the people's rows, times with the organization's offset.

        The organization's zone by name, not the active one: the rows stream
        after the time zone middleware has deactivated it.
        """
        zone = selectors.organization_zone(self.request.tenant)
        columns = self.csv_columns()
        for row in queryset.iterator():
            self.prepare_rows([row])
            yield [
                _moment(column.value(row), zone)
                if isinstance(column, EventTimeColumn)
                else column.text(row)
                for column in columns
            ]

    def csv_response(self):
        response = super().csv_response()
        if response.status_code == 200:
            services.report_export_record(
                tenant=self.request.tenant,
                acting_user=self.request.user,
                report=self.slug,
                days=self.days,
                request=self.request,
            )
        return response

    def charts(self):
        """Return [(title, [(key, label, style)], [(date, {key: figure})])], read once."""
        if not hasattr(self, "_charts"):
            self._charts = self.get_charts()
        return self._charts

    def figures(self):
        """Return the figures per day as a header and rows (dates, not text): a table, a CSV."""
        charts = self.charts()
        header = [_("Day")] + [str(label) for _t, series, _d in charts for _k, label, _s in series]
        days = [day for day, _figures in charts[0][2]]
        rows = []
        for index, day in enumerate(days):
            row = [day]
            for _title, series, daily in charts:
                row += [daily[index][1].get(key, 0) for key, _label, _style in series]
            rows.append(row)
        return header, rows

    def describe(self, series, daily):
        """Return what a chart shows, in words: each line's total and busiest day."""
        if not daily:
            return _("Nothing to show yet.")
        parts = [
            _("From %(first)s to %(last)s.")
            % {"first": l10n.format_date(daily[0][0]), "last": l10n.format_date(daily[-1][0])}
        ]
        for key, label, _style in series:
            values = [figures.get(key, 0) for _day, figures in daily]
            parts.append(
                _("%(series)s: %(total)s in all, at most %(high)s a day.")
                % {
                    "series": label,
                    "total": l10n.format_number(sum(values)),
                    "high": l10n.format_number(max(values)),
                }
            )
        return " ".join(parts)

    def draw(self, index, title, series, daily):
        days = [day for day, _figures in daily]
        lines = [
            (label, [figures.get(key, 0) for _day, figures in daily], style)
            for key, label, style in series
        ]
        return mark_safe(  # noqa: S308 - charts.series_chart escapes every text
            charts.series_chart(
                days,
                lines,
                title=title,
                description=self.describe(series, daily),
                format_x=l10n.format_month_day,
                format_y=l10n.format_number,
                chart_id=f"chart-{self.slug}-{index}",
            )
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        header, rows = self.figures()
        # The sort someone chose (not the default) travels with the period and the export.
        chosen_sort = (
            self.request.GET.get("sort") if self.request.GET.get("sort") == context["sort"] else ""
        )
        context.update(
            slug=self.slug,
            title=self.title,
            intro=self.intro,
            people_heading=self.people_heading,
            charts=[
                (title, self.draw(index, title, series, daily))
                for index, (title, series, daily) in enumerate(self.charts())
            ],
            figures_header=header,
            # A day on one line: the columns' headings are long and never wrap.
            figures_rows=[
                [l10n.format_date(row[0]).replace(" ", "\N{NO-BREAK SPACE}"), *row[1:]]
                for row in rows
            ],
            period=self.days,
            periods=selectors.PERIODS,
            chosen_sort=chosen_sort,
            figures_query=urlencode({"period": self.days, "format": "csv"}),
            people_query=urlencode(
                {"period": self.days, **({"sort": chosen_sort} if chosen_sort else {})}
                | {"export": "csv"}
            ),
        )
        return context


def _moment(value, zone):
    return value.astimezone(zone).isoformat() if value else ""


def _series(pairs):
    """Return [(key, label, None)]: each line in the next of the charts' styles."""
    return [(key, label, None) for key, label in pairs]


class SignInReportView(TrendReportView):
    """Sign-ins per day by result and by the way people passed, and who signed in how."""

    slug = "sign-ins"
    title = _lazy("Sign-ins")
    intro = _lazy(
        "Sign-in attempts per day by result, and successful sign-ins by how people proved "
        "who they are."
    )
    columns = [
        PERSON,
        SIGN_IN_NAME,
        Column(_lazy("Succeeded"), itemgetter("success"), sort="success"),
        Column(_lazy("With a second step"), itemgetter("second_step"), sort="second_step"),
        Column(_lazy("Failed"), itemgetter("failed"), sort="failed"),
        Column(_lazy("Locked out"), itemgetter("lockout"), sort="lockout"),
        EventTimeColumn(_lazy("Last attempt"), itemgetter("last"), sort="last"),
    ]
    sort_keys = {
        key: (key, "target_id")
        for key in ("name", "username", "success", "second_step", "failed", "lockout", "last")
    }

    def get_charts(self):
        tenant = self.request.tenant
        results = _series(
            [
                ("success", _("Succeeded")),
                ("failure", _("Wrong name or password")),
                ("second_step_failure", _("Second step failed")),
                ("passkey_failure", _("Passkey failed")),
                ("lockout", _("Locked out")),
            ]
        )
        methods = _series(
            [
                ("password_only", _("Password only")),
                ("second_step", _("With a second step or a passkey")),
                ("temporary_pass", _("With a temporary access pass")),
            ]
        )
        return [
            (
                _("Sign-in attempts by result"),
                results,
                selectors.signins_per_day(tenant, self.days),
            ),
            (
                _("Successful sign-ins by method"),
                methods,
                selectors.signin_methods_per_day(tenant, self.days),
            ),
        ]

    def people(self, tenant, days):
        return selectors.signin_people(tenant, days)


class PasswordResetReportView(TrendReportView):
    """Self-service password resets per day, done and refused, and who reset."""

    slug = "password-resets"
    title = _lazy("Self-service password resets")
    intro = _lazy(
        "People who reset their own password with their security info, and the resets "
        "that were refused."
    )
    columns = [
        PERSON,
        SIGN_IN_NAME,
        Column(_lazy("Reset"), itemgetter("reset"), sort="reset"),
        Column(_lazy("Blocked for the day"), itemgetter("blocked"), sort="blocked"),
        Column(_lazy("Too many wrong codes"), itemgetter("too_many_codes"), sort="too_many_codes"),
        EventTimeColumn(_lazy("Last attempt"), itemgetter("last"), sort="last"),
    ]
    sort_keys = {
        key: (key, "target_id")
        for key in ("name", "username", "reset", "blocked", "too_many_codes", "last")
    }

    def get_charts(self):
        series = _series(
            [
                ("reset", _("Password reset")),
                ("blocked", _("Blocked for the day")),
                ("too_many_codes", _("Too many wrong codes")),
            ]
        )
        daily = selectors.password_resets_per_day(self.request.tenant, self.days)
        return [(_("Self-service password resets per day"), series, daily)]

    def people(self, tenant, days):
        return selectors.password_reset_people(tenant, days)


REGISTRATION_LABELS = [
    ("phone", _lazy("Mobile phone")),
    ("email", _lazy("Alternate email")),
    ("app", _lazy("Authenticator app")),
    ("passkey", _lazy("Passkey or security key")),
    ("backup_codes", _lazy("Backup codes")),
]


class RegistrationReportView(TrendReportView):
    """Security info registered per day by method, and who registered what."""

    slug = "registrations"
    title = _lazy("Security info registrations")
    intro = _lazy(
        "Methods people registered to prove who they are and to reset their own password, "
        "per day. A changed phone number or email address counts as a new registration."
    )
    columns = [
        PERSON,
        SIGN_IN_NAME,
        *(Column(label, itemgetter(key), sort=key) for key, label in REGISTRATION_LABELS),
        EventTimeColumn(_lazy("Last registration"), itemgetter("last"), sort="last"),
    ]
    sort_keys = {
        key: (key, "target_id")
        for key in ("name", "username", "last", *(k for k, _l in REGISTRATION_LABELS))
    }

    def get_charts(self):
        series = _series([(key, str(label)) for key, label in REGISTRATION_LABELS])
        daily = selectors.registrations_per_day(self.request.tenant, self.days)
        return [(_("Security info registered per day"), series, daily)]

    def people(self, tenant, days):
        return selectors.registration_people(tenant, days)


class LicenseUseReportView(TrendReportView):
    """Licenses assigned at the end of each day per product, against the licenses bought."""

    slug = "license-use"
    title = _lazy("License use over time")
    intro = _lazy(
        "Licenses assigned at the end of each day, per product, against the licenses bought "
        "today. The people are those who got or lost a license in the period."
    )
    columns = [
        PERSON,
        SIGN_IN_NAME,
        Column(_lazy("Product"), itemgetter("product_name"), sort="product"),
        Column(_lazy("Assigned"), itemgetter("assigned"), sort="assigned"),
        Column(_lazy("Unassigned"), itemgetter("unassigned"), sort="unassigned"),
        EventTimeColumn(_lazy("Last change"), itemgetter("last"), sort="last"),
    ]
    sort_keys = {
        key: (key, "target_id")
        for key in ("name", "username", "product", "assigned", "unassigned", "last")
    }

    def products(self):
        if not hasattr(self, "_products"):
            self._products = selectors.license_products(self.request.tenant)
        return self._products

    def get_charts(self):
        names, assigned, bought = self.products()
        daily = selectors.license_use_per_day(
            self.request.tenant, self.days, today_assigned=assigned
        )
        skus = sorted(daily[-1][1], key=lambda sku: str(names.get(sku, sku)))
        series = []
        for index, sku in enumerate(skus):
            color = charts.SERIES_STYLES[index % len(charts.SERIES_STYLES)][0]
            name = names.get(sku, sku)
            series.append((sku, _("%(product)s: assigned") % {"product": name}, (color, "")))
            if sku in bought:
                series.append(
                    (f"bought:{sku}", _("%(product)s: bought") % {"product": name}, (color, "6 4"))
                )
        for _day, figures in daily:
            figures.update({f"bought:{sku}": seats for sku, seats in bought.items()})
        return [(_("Licenses assigned per day"), series, daily)]

    def describe(self, series, daily):
        if not daily:
            return _("Nothing to show yet.")
        parts = [
            _("From %(first)s to %(last)s.")
            % {"first": l10n.format_date(daily[0][0]), "last": l10n.format_date(daily[-1][0])}
        ]
        for key, label, _style in series:
            parts.append(
                _("%(series)s: %(first)s on the first day, %(last)s on the last.")
                % {
                    "series": label,
                    "first": l10n.format_number(daily[0][1].get(key, 0)),
                    "last": l10n.format_number(daily[-1][1].get(key, 0)),
                }
            )
        return " ".join(parts)

    def people(self, tenant, days):
        return selectors.license_people(tenant, days)

    def prepare_rows(self, rows):
        names = self.products()[0]
        for row in rows:
            row["product_name"] = names.get(row["product"], row["product"])
