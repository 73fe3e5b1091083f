"""The shared list page and bulk action (core.views) and the table they draw (core.tables).

A small list and a small action over users stand in for an area's own.
"""

import re

import django_filters
import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.http import Http404, QueryDict
from django.test import RequestFactory
from django.utils.safestring import mark_safe

from accounts.mixins import TenantScopedMixin
from accounts.models import User
from core.tables import BadgeColumn, CheckboxColumn, Column, ObjectURL, render_header, render_rows
from core.views import BulkActionForm, BulkActionView, ObjectListView, query_without
from tests.factories import make_tenant, make_user

COLUMNS = [
    CheckboxColumn("Select all", row_label="Select %(name)s", name="display_name"),
    Column("Name", "display_name", link=ObjectURL("users:user_detail"), sort="name"),
    Column("Sign-in name", lambda user: user.username, sort="username"),
    Column("Job", "job_title"),
    BadgeColumn("Status", "is_sign_in_blocked", badge="Blocked", otherwise="Allowed"),
]


class Row:
    def __init__(self, pk, display_name, username="u@x", job_title="", blocked=False):
        self.pk, self.display_name, self.username = pk, display_name, username
        self.job_title, self.is_sign_in_blocked = job_title, blocked


# --- core.tables ----------------------------------------------------------------------------


def test_rows_escape_every_value_and_keep_the_bulk_form_checkbox():
    html = str(render_rows(COLUMNS, [Row(7, '<b>"Pat"</b> & co', "p'x@y", "", True)]))
    assert html == (
        '<tr><td class="select-cell"><input type="checkbox" name="ids" value="7"'
        ' form="bulk-form" data-row-select'
        ' aria-label="Select &lt;b&gt;&quot;Pat&quot;&lt;/b&gt; &amp; co"></td>'
        '<td><a href="/users/7/">&lt;b&gt;&quot;Pat&quot;&lt;/b&gt; &amp; co</a></td>'
        "<td>p&#x27;x@y</td><td>—</td>"
        '<td><span class="badge badge-warning">Blocked</span></td></tr>'
    )


def test_rows_keep_safe_markup_and_their_order():
    rows = [Row(1, mark_safe("<i>A</i>"), job_title="Boss"), Row(2, "B")]
    html = str(render_rows(COLUMNS, rows))
    assert html.count("<tr>") == 2 and html.index(">A<") < html.index(">B<")
    assert '<td><a href="/users/1/"><i>A</i></a></td>' in html
    assert "<td>Boss</td>" in html and "<td>Allowed</td>" in html


def test_a_callable_link_is_escaped():
    column = Column("Name", "display_name", link=lambda row: f'?x="{row.pk}"&y')
    assert str(render_rows([column], [Row(1, "A")])) == (
        '<tr><td><a href="?x=&quot;1&quot;&amp;y">A</a></td></tr>'
    )


def test_no_rows_is_one_row_across_the_table():
    html = str(render_rows(COLUMNS, [], empty_text="Nobody <here>"))
    assert html == '<tr><td colspan="5" class="empty">Nobody &lt;here&gt;</td></tr>'


def test_header_marks_the_sort_and_links_to_the_next_one_keeping_the_query():
    html = str(render_header(COLUMNS, sort="name", query="q=a%26b&role=x"))
    assert 'aria-label="Select all"' in html and "data-select-all" in html
    assert (
        '<th scope="col" aria-sort="ascending"><a href="?q=a%26b&amp;role=x&amp;sort=-name">'
        'Name<span aria-hidden="true">▲</span></a></th>'
    ) in html
    assert '<th scope="col"><a href="?q=a%26b&amp;role=x&amp;sort=username">' in html
    assert '<th scope="col">Job</th>' in html and html.count("aria-sort") == 1


def test_header_descending_and_without_a_query():
    html = str(render_header(COLUMNS, sort="-username"))
    assert (
        '<th scope="col" aria-sort="descending"><a href="?sort=username">'
        'Sign-in name<span aria-hidden="true">▼</span></a></th>'
    ) in html
    assert '<a href="?sort=name">' in html


def test_query_without_drops_only_the_names_given():
    assert query_without(QueryDict("q=a&page=2&sort=name&q=b"), "page") == "q=a&q=b&sort=name"


# --- core.views.ObjectListView ----------------------------------------------------------------


class UserFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="display_name", lookup_expr="icontains")
    sort = django_filters.ChoiceFilter(
        choices=[(key, key) for key in ("name", "-name", "username", "-username")],
        method=lambda queryset, name, value: queryset,
    )

    class Meta:
        model = User
        fields = ["q", "sort"]


class SmallUserList(ObjectListView):
    template_name = "users/user_list.html"
    results_template_name = "users/inc/user_results.html"
    filterset_class = UserFilter
    columns = COLUMNS
    page_sizes = (2, 5)
    sort_keys = {"name": ("display_name", "pk"), "username": ("username",)}
    default_sort = "name"
    empty_text = "No users yet."
    empty_filtered_text = "No users match."
    csv_filename = "people.csv"

    def get_queryset(self):
        return User.objects.for_tenant(self.request.tenant).active()


@pytest.fixture
def people(db):
    tenant = make_tenant()
    for name in ("Cleo", "Ann", "Bob", "Dee", "Eve"):
        make_user(tenant, name.lower(), display_name=name)
    make_user(tenant, "gone", display_name="Gone", deleted_at="2026-01-01T00:00Z")
    make_user(make_tenant(), "other", display_name="Other Org")
    return tenant


def list_context(tenant, params="", headers=None):
    request = RequestFactory().get(f"/people/?{params}", headers=headers or {})
    request.tenant = tenant
    view = SmallUserList()
    view.setup(request)
    return view, view.get_context_data()


def listed(context):
    return re.findall(r'<a href="/users/\d+/">([^<]*)</a>', str(context["rows"]))


def test_list_pages_sorts_and_filters_from_the_query_string(people):
    _view, context = list_context(people)
    assert listed(context) == ["Ann", "Bob"]
    assert context["page_obj"].paginator.count == 5 and context["sort"] == "name"
    _view, context = list_context(people, "sort=-name&per_page=5&page=1")
    assert listed(context) == ["Eve", "Dee", "Cleo", "Bob", "Ann"]
    assert context["query"] == "sort=-name&per_page=5"
    assert context["export_query"] == "sort=-name"
    assert 'aria-sort="descending"><a href="?per_page=5&amp;sort=name"' in context["header"]
    _view, context = list_context(people, "q=e&page=2")
    assert listed(context) == ["Eve"]


def test_list_falls_back_on_bad_values(people):
    _view, context = list_context(people, "sort=password&per_page=1000&page=x")
    assert context["sort"] == "name" and context["per_page"] == 2
    assert listed(context) == ["Ann", "Bob"]
    assert context["filter"].errors


def test_a_page_that_is_not_full_is_counted_without_a_count_query(
    people, django_assert_num_queries
):
    # Pages of 2 of the 5: a full page counts (2 queries), the last page does not (1).
    for params, queries, shown in (("page=1", 2, ["Ann", "Bob"]), ("page=3", 1, ["Eve"])):
        with django_assert_num_queries(queries):
            _view, context = list_context(people, params)
            assert context["page_obj"].paginator.count == 5
        assert listed(context) == shown
    # Out of range (past the end or below 1): counted, then the last page, as Django does.
    for page in ("4", "99", "0", "-2"):
        with django_assert_num_queries(3 if page in ("4", "99") else 2):
            _view, context = list_context(people, f"page={page}")
            assert context["page_obj"].paginator.count == 5
        assert listed(context) == ["Eve"] and context["page_obj"].number == 3
    _view, context = list_context(people, "per_page=5&page=1")
    assert context["page_obj"].paginator.count == 5 and context["page_obj"].number == 1


def test_list_says_why_it_is_empty(people):
    _view, context = list_context(people, "q=zzz")
    assert "No users match." in context["rows"]
    _view, context = list_context(make_tenant())
    assert "No users yet." in context["rows"]


class ScopedUserList(TenantScopedMixin, ObjectListView):
    model = User
    filterset_class = UserFilter
    columns = COLUMNS
    sort_keys = {"name": ("display_name", "pk")}
    default_sort = "name"


def test_a_tenant_scoped_list_of_a_model_shows_only_the_tenants_rows(people):
    request = RequestFactory().get("/people/")
    request.tenant = people
    view = ScopedUserList()
    view.setup(request)
    names = listed(view.get_context_data())
    assert "Ann" in names and "Other Org" not in names


def test_htmx_gets_the_results_alone_but_not_on_a_history_restore(people):
    view, _context = list_context(people)
    assert view.get_template_names() == ["users/user_list.html"]
    view, _context = list_context(people, headers={"HX-Request": "true"})
    assert view.get_template_names() == ["users/inc/user_results.html"]
    restore = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    view, _context = list_context(people, headers=restore)
    assert view.get_template_names() == ["users/user_list.html"]


def test_csv_export_is_the_whole_filtered_list_in_order(people):
    request = RequestFactory().get("/people/", {"export": "csv", "sort": "-name", "q": "e"})
    request.tenant = people
    response = SmallUserList.as_view()(request)
    assert response["Content-Disposition"] == 'attachment; filename="people.csv"'
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == "Name,Sign-in name,Job,Status"
    assert [line.split(",")[0] for line in lines[1:]] == ["Eve", "Dee", "Cleo"]


def test_csv_export_with_a_bad_filter_is_a_400(people):
    request = RequestFactory().get("/people/", {"export": "csv", "sort": "password"})
    request.tenant = people
    assert SmallUserList.as_view()(request).status_code == 400


# --- core.views.BulkActionView ----------------------------------------------------------------


class BlockSome(BulkActionView):
    list_url_name = "users:user_list"
    detail_url_name = "users:user_detail"
    max_selected = 3
    no_selection_message = "Pick someone."
    too_many_message = "At most %(max)d."
    performed = []

    def get_queryset(self):
        return User.objects.for_tenant(self.request.tenant).active().order_by("display_name")

    def perform(self, form):
        selected = form.selected()
        self.performed.append([user.display_name for user in selected])
        return len(selected)

    def get_success_message(self, form, count):
        return f"Done for {count}."


class ConfirmFirst(BlockSome):
    confirm_template_name = "inc/bulk_confirm_fields.html"


def post(view_class, tenant, data):
    request = RequestFactory().post("/bulk/", data)
    request.tenant = tenant
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    response = view_class.as_view()(request)
    return response, [str(message) for message in get_messages(request)]


def ids(tenant, *names):
    users = User.objects.for_tenant(tenant).filter(display_name__in=names)
    return [user.pk for user in users]


@pytest.fixture(autouse=True)
def _forget_performed():
    BlockSome.performed.clear()


def test_bulk_action_performs_once_and_goes_back_to_the_list_as_it_was(people):
    response, notes = post(BlockSome, people, {"ids": ids(people, "Eve", "Ann"), "query": "q=e"})
    assert response.status_code == 302 and response.url == "/users/?q=e"
    assert BlockSome.performed == [["Ann", "Eve"]]
    assert notes == ["Done for 2."]


def test_bulk_action_returns_to_the_one_rows_page(people):
    (ann,) = ids(people, "Ann")
    response, _notes = post(BlockSome, people, {"ids": [ann], "return_to": "detail"})
    assert response.url == f"/users/{ann}/"


@pytest.mark.parametrize("outsider", ["other", "deleted", "x", "-1", "1.0", "²", "9" * 19])
def test_bulk_action_answers_404_for_ids_out_of_reach(people, outsider):
    if outsider in ("other", "deleted"):
        name = "Other Org" if outsider == "other" else "Gone"
        outsider = User.objects.get(display_name=name).pk
    with pytest.raises(Http404):
        post(BlockSome, people, {"ids": [*ids(people, "Ann"), outsider]})
    assert BlockSome.performed == []


def test_bulk_action_without_a_selection_or_with_too_many_says_so(people):
    response, notes = post(BlockSome, people, {"query": "page=2"})
    assert response.url == "/users/?page=2" and notes == ["Pick someone."]
    everyone = ids(people, "Ann", "Bob", "Cleo", "Dee")
    response, notes = post(BlockSome, people, {"ids": everyone})
    assert response.url == "/users/" and notes == ["At most 3."]
    assert BlockSome.performed == []


def test_too_many_is_refused_before_any_query(people, django_assert_num_queries):
    form = BulkActionForm(
        data=QueryDict("ids=1&ids=2&ids=3"), queryset=User.objects.all(), max_count=2
    )
    with django_assert_num_queries(0):
        assert not form.is_valid()
    assert form.has_error("ids", "too_many")


def test_bulk_action_asks_first_when_it_has_a_confirmation_step(people):
    data = {"ids": ids(people, "Ann", "Bob"), "query": "q=b"}
    response, _notes = post(ConfirmFirst, people, data)
    assert response.status_code == 200 and BlockSome.performed == []
    page = response.content.decode()
    assert 'name="confirm" value="yes"' in page and 'name="query" value="q=b"' in page
    response, _notes = post(ConfirmFirst, people, {**data, "confirm": "yes"})
    assert response.status_code == 302 and BlockSome.performed == [["Ann", "Bob"]]


def test_bulk_action_answers_only_post(people):
    request = RequestFactory().get("/bulk/")
    request.tenant = people
    assert BlockSome.as_view()(request).status_code == 405
