"""Where a signed-in page's time goes, request by request, in one process.

    .venv/bin/python bench/profile_request.py [--users 5000] [--requests 50]
        [--path /users/ ...] [--database auto|sqlite|postgres] [--existing]

Builds a database of its own (PostgreSQL on this machine with Redis for the cache
and sessions, as the app nodes have them, when both answer; else a throwaway
SQLite file), seeds the demo tenant with ``--users`` ordinary users, signs the
global admin in with Django's test client and, with the production settings
(DEBUG off, the cached template loader, the manifest static files), requests each
page: the bare signed-in view that renders a small template (``/bench/baseline/``),
then Home, Active users, a user's page, Groups, Billing, the audit log and
Settings, or the ``--path`` pages given. ``--existing`` uses the database in
``DATABASE_URL`` as it is, already seeded (bench/load.py does so with its nodes').

For each page it reports, with every request rendered (the page cache off), the
time per request without any measuring in place, its ratio against the bare view
(in one process, no HTTP: an upper bound of what the nodes can do), and then, from
the same number of measured requests, a breakdown of each request in ms and in %.
Every moment of a request is counted once, under the innermost of:

- middleware: the request handler and middleware, whatever no line below claims;
- session/auth: loading and saving the session, loading the signed-in user;
- queries: SQL (``connection.execute_wrapper``), with their count;
- view: the view's own code (its forms' validation, table rows built in Python);
- context processors: the template context processors;
- shell template: the portal shell (templates/base.html, templates/layout.html,
  the top bar, the left navigation, the messages), and a page's template outside
  its blocks;
- page template: the blocks a page's template fills (its content, heading, ...)
  and what they include;
- forms: rendering form fields, widgets and error lists.

The measuring wraps a few Django functions (no profiler), so it costs a little:
the instrumented total is shown beside the plain one. Then the same pages as the
portal serves a page seen again (core/pagecache.py: kept for the session until
the organization changes), time per request and ratio. Loopback and local files
only; the database (unless ``--existing``) and the Redis keys are removed at the end.
"""

import argparse
import functools
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_SERVER = "postgres://postgres@127.0.0.1:5432"
REDIS = "redis://127.0.0.1:6379/12"
ADMIN = "admin@contoso.example"
BASELINE = ("bare view", "/bench/baseline/")
SHELL_TEMPLATES = {
    "base.html",
    "layout.html",
    "inc/nav.html",
    "inc/messages.html",
    "inc/request_id.html",
}
CATEGORIES = (
    "middleware",
    "session/auth",
    "queries",
    "view",
    "context processors",
    "shell template",
    "page template",
    "forms",
)


def default_pages(user_id):
    return [
        ("Home", "/"),
        ("Active users", "/users/"),
        ("a user's page", f"/users/{user_id}/"),
        ("Groups", "/groups/"),
        ("Billing", "/billing/products/"),
        ("Audit log", "/audit/"),
        ("Settings", "/settings/profile/"),
    ]


# --- the clock -----------------------------------------------------------------------


class Clock:
    """Exclusive time per category: each moment goes to the innermost category open.

    Counts both this thread's CPU time (what limits requests/s on a busy machine:
    a wait for a lock or for the scheduler is not counted) and the wall time.
    """

    def __init__(self):
        self.reset()

    def reset(self):
        self.stack = ["middleware"]
        self.cpu, self.wall = defaultdict(float), defaultdict(float)
        self.queries = 0
        self.mark = (time.thread_time(), time.perf_counter())

    def _switch(self):
        now = (time.thread_time(), time.perf_counter())
        category = self.stack[-1]
        self.cpu[category] += now[0] - self.mark[0]
        self.wall[category] += now[1] - self.mark[1]
        self.mark = now

    def push(self, category):
        self._switch()
        self.stack.append(category)

    def pop(self):
        self._switch()
        self.stack.pop()

    def close(self):
        self._switch()
        self.stack = ["middleware"]
        return dict(self.cpu), dict(self.wall), self.queries


CLOCK = Clock()


def timed(category, function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        CLOCK.push(category)
        try:
            return function(*args, **kwargs)
        finally:
            CLOCK.pop()

    return wrapper


def time_query(execute, sql, params, many, context):
    CLOCK.queries += 1
    CLOCK.push("queries")
    try:
        return execute(sql, params, many, context)
    finally:
        CLOCK.pop()


def instrument():
    """Wrap the Django functions whose time is counted apart; once per process."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib import auth
    from django.core.handlers.base import BaseHandler
    from django.forms import utils as form_utils
    from django.forms import widgets
    from django.template import engines
    from django.template.backends import django as django_backend
    from django.template.loader_tags import BLOCK_CONTEXT_KEY, BlockNode

    store = import_module(settings.SESSION_ENGINE).SessionStore
    store.load = timed("session/auth", store.load)
    store.save = timed("session/auth", store.save)
    auth.get_user = timed("session/auth", auth.get_user)

    resolve = BaseHandler.resolve_request

    def resolve_request(self, request):
        match = resolve(self, request)
        return timed("view", match.func), match.args, match.kwargs

    BaseHandler.resolve_request = resolve_request

    # Rendering starts in the shell; a block filled by a page's own template (or one
    # between it and the layout) is the page's, with everything it includes.
    django_backend.Template.render = timed("shell template", django_backend.Template.render)
    render_block = BlockNode.render

    def block_render(self, context):
        blocks = context.render_context.get(BLOCK_CONTEXT_KEY)
        block = (blocks.get_block(self.name) if blocks is not None else None) or self
        origin = getattr(block, "origin", None)
        if origin is not None and origin.template_name in SHELL_TEMPLATES:
            return render_block(self, context)
        CLOCK.push("page template")
        try:
            return render_block(self, context)
        finally:
            CLOCK.pop()

    BlockNode.render = block_render
    engine = engines["django"].engine
    engine.__dict__["template_context_processors"] = tuple(
        timed("context processors", processor) for processor in engine.template_context_processors
    )

    form_utils.RenderableMixin.render = timed("forms", form_utils.RenderableMixin.render)
    widgets.Widget.render = timed("forms", widgets.Widget.render)


# --- the run --------------------------------------------------------------------------


def configure(args):
    """Set the environment for the production settings before Django starts."""
    folder = tempfile.mkdtemp(prefix="portal_profile_")
    env = {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SECURE_SSL_REDIRECT": "false",
        "PORTAL_BASE_URL": "http://testserver",
        "SMS_BACKEND": "file",
        "SMS_FILE_PATH": str(Path(folder) / "sms"),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "STATIC_ROOT": str(Path(folder) / "static"),
        "PORTAL_DEMO_PASSWORD": secrets.token_urlsafe(16) + "-Aa1",
    }
    drop = None
    if args.existing:
        env = {k: v for k, v in env.items() if k in ("DJANGO_SETTINGS_MODULE",)}
        if "DATABASE_URL" not in os.environ:
            raise SystemExit("--existing needs DATABASE_URL")
    elif args.database == "postgres":
        database = f"portal_profile_{secrets.token_hex(4)}"
        env["DATABASE_URL"] = f"{PG_SERVER}/{database}"
        env["REDIS_URL"] = REDIS
        env["CACHE_KEY_PREFIX"] = database
        drop = database
    else:
        env["DATABASE_URL"] = f"sqlite:///{Path(folder) / 'db.sqlite3'}"
        os.environ.pop("REDIS_URL", None)
    for key, value in env.items():
        if args.existing:
            os.environ.setdefault(key, value)
        else:
            os.environ[key] = value
    hosts = [h for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h]
    os.environ["ALLOWED_HOSTS"] = ",".join([*hosts, "testserver"])
    return folder, drop


def prepare(args, drop):
    from django.core.management import call_command

    if drop:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{drop}"')
    if not args.existing:
        call_command("migrate", "--no-input", verbosity=0)
        call_command("collectstatic", "--no-input", verbosity=0)
        with open(os.devnull, "w") as sink:  # it prints the demo accounts' password
            call_command("seed_demo", "--users", str(args.users), verbosity=0, stdout=sink)
    from accounts.models import Tenant

    # Pages are measured, not the second-factor policy.
    Tenant.objects.filter(domain__name="contoso.example").update(require_mfa_for_admins=False)


def cleanup(drop):
    if not drop:
        return
    import psycopg
    import redis
    from django.db import connections

    connections.close_all()
    client = redis.Redis.from_url(REDIS)
    for key in client.scan_iter(match=f"{drop}*", count=1000):
        client.delete(key)
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{drop}" WITH (FORCE)')


def signed_in_client():
    from django.test import Client

    from accounts.middleware import LAST_SEEN, SIGNED_IN_AT
    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username=ADMIN))
    session = client.session
    session[SIGNED_IN_AT] = session[LAST_SEEN] = int(time.time())
    session.save()
    return client


def quiet_request_log():
    """Keep the per-request JSON log line (its cost is the nodes' too), sent nowhere."""
    import logging

    sink = open(os.devnull, "w")  # noqa: SIM115 - open for the life of the process
    for handler in logging.getLogger("portal.request").handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(sink)


def measure(client, pages, requests, rounds=3):
    """Return {path: (CPU ms, wall ms) per request}, the medians of ``rounds`` rounds.

    The pages take turns, so a burst of load elsewhere on the machine hits all alike.
    """
    cpu, wall = defaultdict(list), defaultdict(list)
    for _ in range(rounds):
        for _name, path in pages:
            started = (time.thread_time(), time.perf_counter())
            for _ in range(requests):
                response = client.get(path)
            cpu[path].append((time.thread_time() - started[0]) * 1000 / requests)
            wall[path].append((time.perf_counter() - started[1]) * 1000 / requests)
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}")
    return {path: (statistics.median(cpu[path]), statistics.median(wall[path])) for path in cpu}


def breakdown(client, pages, requests):
    """Return {path: Breakdown} from ``requests`` measured requests of each page."""
    from django.core.handlers.base import BaseHandler
    from django.db import connection

    results = {}
    get_response = BaseHandler.get_response
    samples = []

    def measured(self, request):
        CLOCK.reset()
        try:
            return get_response(self, request)
        finally:
            samples.append(CLOCK.close())

    BaseHandler.get_response = measured
    try:
        with connection.execute_wrapper(time_query):
            for _name, path in pages:
                samples.clear()
                for _ in range(requests):
                    client.get(path)
                cpu, wall, queries = defaultdict(float), defaultdict(float), 0
                for sample_cpu, sample_wall, count in samples:
                    queries += count
                    for category in CATEGORIES:
                        cpu[category] += sample_cpu.get(category, 0) * 1000 / len(samples)
                        wall[category] += sample_wall.get(category, 0) * 1000 / len(samples)
                results[path] = Breakdown(dict(cpu), dict(wall), queries / len(samples))
    finally:
        BaseHandler.get_response = get_response
    return results


class Breakdown:
    """One page's time per request by category, in ms: CPU and wall."""

    def __init__(self, cpu, wall, queries):
        self.cpu, self.wall, self.queries = cpu, wall, queries

    @property
    def total(self):
        return sum(self.cpu.values())


SHORT = {
    "context processors": "ctx proc",
    "shell template": "shell tpl",
    "page template": "page tpl",
}


def report_ratios(pages, plain, out=print):
    """Print each page's CPU ms per request and its ratio against the bare view."""
    bare = plain[BASELINE[1]][0]
    out(f"{'page':<16} {'CPU ms':>7} {'vs bare':>8} {'wall ms':>8}")
    for name, path in pages:
        cpu, wall = plain[path]
        out(f"{name:<16} {cpu:>7.2f} {bare / cpu:>7.2f}x {wall:>8.2f}")


def report(pages, plain, detail, out=print):
    """Print the ratios against the bare view and each page's breakdown."""
    bare = plain[BASELINE[1]][0]
    out(
        f"{'page':<16} {'CPU ms':>7} {'vs bare':>8} {'wall ms':>8} {'queries':>8} "
        f"{'SQL wall ms':>11}"
    )
    for name, path in pages:
        cpu, wall = plain[path]
        out(
            f"{name:<16} {cpu:>7.2f} {bare / cpu:>7.2f}x {wall:>8.2f} "
            f"{detail[path].queries:>8.0f} {detail[path].wall['queries']:>11.2f}"
        )
    out("")
    out("CPU ms per request by part (and % of the request's measured CPU time):")
    out(f"{'page':<16}" + "".join(f" {SHORT.get(c, c):>13}" for c in CATEGORIES))
    for name, path in pages:
        cpu, total = detail[path].cpu, detail[path].total
        cells = "".join(f" {cpu[c]:>6.2f} ({cpu[c] * 100 / total:>3.0f}%)" for c in CATEGORIES)
        out(f"{name:<16}{cells}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=50, help="per page and round")
    parser.add_argument("--path", action="append", default=[], help="a page to profile")
    parser.add_argument("--database", choices=("auto", "sqlite", "postgres"), default="auto")
    parser.add_argument("--existing", action="store_true", help="use DATABASE_URL as it is")
    args = parser.parse_args(argv)
    if args.database == "auto":
        from bench.cluster import services_up

        args.database = "postgres" if services_up() else "sqlite"
    _folder, drop = configure(args)

    import django

    django.setup()
    try:
        prepare(args, drop)
        from accounts.models import User

        quiet_request_log()
        user_id = (
            User.objects.filter(tenant__domain__name="contoso.example", deleted_at=None)
            .exclude(username__startswith="admin@")
            .order_by("id")
            .values_list("id", flat=True)
            .first()
        )
        pages = [BASELINE, *([(p, p) for p in args.path] or default_pages(user_id))]
        from django.conf import settings

        client = signed_in_client()
        kept_seconds = settings.PORTAL_PAGE_CACHE_SECONDS
        measure(client, pages, 5, rounds=1)  # warm: templates compiled, connections open
        # Every request rendered (the page cache off), then pages seen again as the
        # portal serves them (kept for the session until the organization changes).
        settings.PORTAL_PAGE_CACHE_SECONDS = 0
        rendered = measure(client, pages, args.requests)
        settings.PORTAL_PAGE_CACHE_SECONDS = kept_seconds
        kept = measure(client, pages, args.requests) if kept_seconds else None
        instrument()
        settings.PORTAL_PAGE_CACHE_SECONDS = 0
        detail = breakdown(client, pages, args.requests)
        settings.PORTAL_PAGE_CACHE_SECONDS = kept_seconds
        backend = "existing database" if args.existing else args.database
        print(
            f"In one process ({backend}, production settings, Django's test client, no HTTP;"
            f" {args.requests} requests per page, 3 rounds taken in turns, medians; the"
            f" breakdown from another {args.requests}; CPU time of the serving thread)."
        )
        print("Every request rendered (PORTAL_PAGE_CACHE_SECONDS=0):")
        report(pages, rendered, detail)
        if kept:
            print("")
            print(
                "The same pages seen again, as served (kept for the session until the"
                " organization changes):"
            )
            report_ratios(pages, kept)
    finally:
        cleanup(drop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
