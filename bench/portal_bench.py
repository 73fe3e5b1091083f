"""Requests per second of portal pages and sign-in, as ratios measured in one run.

    .venv/bin/python bench/portal_bench.py [--users 10000] [--seconds 10]

Creates (and afterwards drops) the PostgreSQL database ``portal_bench`` on
127.0.0.1, seeds the demo tenant, starts gunicorn (2 workers) with production
settings plus a baseline view, and measures with a keep-alive client on loopback:
- Home and the audit log against a signed-in view rendering a small template
  (budget: at least 0.5x);
- sign-in (password step, Argon2) against the raw Argon2 verify rate of the same
  number of processes (budget: at least 0.9x).
Every loop is bounded in time; only 127.0.0.1 is contacted.
"""

import argparse
import http.client
import multiprocessing
import os
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
HOST, PORT = "127.0.0.1", 8799
WORKERS = 2
PASSWORD = "Contoso-Demo-2026"  # noqa: S105 (the demo password, printed by seed_demo)
PG = "postgres://postgres@127.0.0.1:5432/portal_bench"


def env():
    return {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": PG,
        "REDIS_URL": "redis://127.0.0.1:6379/9",
        "PORTAL_DEMO_PASSWORD": PASSWORD,
        "PORTAL_LOCKOUT_ATTEMPTS": "1000000",
        "PORTAL_THROTTLE_ADDRESS_ATTEMPTS": "1000000",
        "PORTAL_THROTTLE_ACCOUNT_FREE_ATTEMPTS": "99",
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "PYTHONPATH": str(ROOT),
        "STATIC_ROOT": str(Path(tempfile.gettempdir()) / "portal_bench_static"),
    }


def manage(*args):
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env(), check=True)


class Client:
    """A tiny keep-alive HTTP client with a cookie jar (no TLS, loopback only)."""

    def __init__(self):
        self.conn = http.client.HTTPConnection(HOST, PORT, timeout=30)
        self.cookies = {}

    def request(self, method, path, body=None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            body = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://{HOST}:{PORT}/signin/"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, data

    def sign_in(self, username):
        self.cookies.clear()  # a new visitor each time, on the same connection
        _, page = self.request("GET", "/signin/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        status, _ = self.request(
            "POST",
            "/signin/",
            {"csrfmiddlewaretoken": token.decode(), "username": username, "password": PASSWORD},
        )
        return status


def rate(clients, action, seconds):
    """Run ``action(client)`` on each client in its own thread for ``seconds``; return /s."""
    counts = [0] * len(clients)
    deadline = time.monotonic() + seconds

    def loop(n):
        while time.monotonic() < deadline:
            status = action(clients[n])
            assert status in (200, 302), status
            counts[n] += 1

    workers = [threading.Thread(target=loop, args=(n,)) for n in range(len(clients))]
    start = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(counts) / (time.monotonic() - start)


def _argon2_loop(seconds, environ, ready, queue):
    import django

    os.environ.update(environ)
    django.setup()
    from django.contrib.auth.hashers import check_password, make_password

    encoded = make_password(PASSWORD)
    ready.wait()  # every process hashes at once, as busy workers would
    done, started = 0, time.monotonic()
    while time.monotonic() - started < seconds:
        check_password(PASSWORD, encoded)
        done += 1
    queue.put(done / (time.monotonic() - started))


def raw_argon2_rate(seconds, processes=WORKERS, environ=None):
    """Return Argon2 verifies per second of ``processes`` processes hashing at once.

    Each process sets up Django with ``environ`` (``env()`` unless given), so the
    hash is made and checked with the PASSWORD_HASHERS and Argon2 parameters the
    app nodes run with. The processes are spawned, not forked: a parent that has
    already set up Django (a test run) must not lend them its settings.
    """
    context = multiprocessing.get_context("spawn")
    queue, ready = context.Queue(), context.Barrier(processes)
    procs = [
        context.Process(target=_argon2_loop, args=(seconds, environ or env(), ready, queue))
        for _ in range(processes)
    ]
    for proc in procs:
        proc.start()
    rates = [queue.get(timeout=seconds + 120) for _ in procs]
    for proc in procs:
        proc.join()
    return sum(rates)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10000)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()

    subprocess.run(["dropdb", "-h", HOST, "-U", "postgres", "--if-exists", "portal_bench"])
    subprocess.run(["createdb", "-h", HOST, "-U", "postgres", "portal_bench"], check=True)
    server = None
    try:
        manage("migrate", "-v0")
        manage("seed_demo", "--users", str(args.users))
        manage("collectstatic", "--no-input", "-v0")
        # Pages are measured, not the second-factor policy: without this the demo
        # admin would only ever get the redirect to Security info.
        manage(
            "shell",
            "-v0",
            "-c",
            "from accounts.models import Tenant; "
            "Tenant.objects.update(require_mfa_for_admins=False)",
        )
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "admin_portal.wsgi",
                "--bind",
                f"{HOST}:{PORT}",
                "--workers",
                str(WORKERS),
                "--no-control-socket",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env(),
        )
        for _ in range(100):
            try:
                if Client().request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)

        def signed_in():
            client = Client()
            assert client.sign_in("admin@contoso.example") == 302
            return client

        def page(path):
            def get(client):
                status = client.request("GET", path)[0]
                assert status == 200, f"{path} answered {status}"
                return status

            return get

        # Four signed-in clients (signing in costs Argon2, so before any timing).
        admins = [signed_in() for _ in range(4)]
        rate(admins, page("/"), 1)  # warm up both workers
        # The machine is shared and its load drifts: measure in interleaved rounds
        # of one second each, so every subject sees the same conditions.
        visitors = [Client() for _ in range(4)]
        subjects = {
            "baseline": (admins, page("/bench/baseline/")),
            "home": (admins, page("/")),
            "audit": (admins, page("/audit/")),
            "signin": (visitors, lambda client: client.sign_in("admin@contoso.example")),
        }
        totals = dict.fromkeys([*subjects, "argon2"], 0.0)
        rounds = max(1, int(args.seconds))
        for _ in range(rounds):
            for name, (clients, action) in subjects.items():
                # A sign-in takes a good part of a second: give it longer windows.
                totals[name] += rate(clients, action, 3 if name == "signin" else 1)
            totals["argon2"] += raw_argon2_rate(3)
        results = {name: total / rounds for name, total in totals.items()}
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        subprocess.run(["dropdb", "-h", HOST, "-U", "postgres", "--if-exists", "portal_bench"])

    print(f"users in tenant: {args.users + 9}, gunicorn workers: {WORKERS}")
    for name, value in results.items():
        print(f"{name:>10}: {value:8.1f} /s")
    print(f"Home / baseline:      {results['home'] / results['baseline']:.2f}x (budget >= 0.5)")
    print(f"Audit / baseline:     {results['audit'] / results['baseline']:.2f}x (budget >= 0.5)")
    print(f"sign-in / raw Argon2: {results['signin'] / results['argon2']:.2f}x (budget >= 0.9)")


if __name__ == "__main__":
    main()
