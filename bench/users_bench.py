"""Requests per second of the users list and its search against the Django admin's.

    .venv/bin/python bench/users_bench.py [--users 100000] [--seconds 10]

Creates (and afterwards drops) the PostgreSQL database ``users_bench`` on
127.0.0.1, seeds the demo tenant, adds a platform operator with static second-factor
tokens, starts gunicorn (2 workers) with production settings and measures, with
keep-alive clients on loopback (four signed-in clients per side, one session each):
- Active users ``/users/`` against the operators' user changelist
  ``/operators/accounts/user/`` (budget: at least 6x);
- users search ``/users/?q=..`` against the changelist's search (budget: at least 40x);
- the p99 latency of the users search, taken from the same rounds, so under the same
  load (budget: under 50 ms).
Each search request takes the next term from one fixed list of fragments of the
seeded names, the same list for both sides. The subjects are measured in interleaved
rounds of one second each. Every loop is bounded in time; only 127.0.0.1 is contacted.
The exit status is 1 when a budget is not met.

Its own database, port and cache prefix keep it apart from a portal_bench.py run.
"""

import argparse
import itertools
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import portal_bench as pb  # bench/ is on sys.path when this file is run as a script

ROOT = pb.ROOT
DATABASE = "users_bench"
PORT = 8798
CLIENTS = 4
TENANT_ADMIN = "admin@contoso.example"  # Global admin of the demo tenant (seed_demo)
OPERATOR = "operator@operators.example"  # a platform operator: staff, of no tenant
PORTAL_LIST = "/users/"
ADMIN_LIST = "/operators/accounts/user/"
# Fragments of the names seed_demo makes ("First Last", first.last.00042@contoso.example),
# each the start of a name or of a sign-in name, so they match whether a search looks
# for prefixes or for substrings. At 100,000 users the last names match about 1,700
# users each, "ander" (Anders, Andersson) about 3,100, the sign-in prefixes 50 to 1,400.
SEARCH_TERMS = [
    "smith",
    "patel",
    "nguyen",
    "kowal",
    "ander",
    "okaf",
    "hiro",
    "emma.",
    "sofia.m",
    "jose.g",
]
BUDGETS = {"list": 6.0, "search": 40.0, "p99_ms": 50.0}


def env(**extra):
    return {
        **pb.env(),
        "DATABASE_URL": f"postgres://postgres@{pb.HOST}:5432/{DATABASE}",
        "CACHE_KEY_PREFIX": DATABASE,
        **extra,
    }


def manage(*args, quiet=False, **extra_env):
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env(**extra_env),
        check=True,
        stdout=subprocess.DEVNULL if quiet else None,
    )


def drop_database():
    subprocess.run(["dropdb", "-h", pb.HOST, "-U", "postgres", "--if-exists", DATABASE])


class Client(pb.Client):
    """portal_bench's client, on this benchmark's port."""

    def __init__(self):
        super().__init__()
        self.conn.port = PORT


def form_value(page, name):
    match = re.search(rb'name="' + name.encode() + rb'" value="([^"]*)"', page)
    assert match, f"no {name} in the form"
    return match.group(1).decode()


def start_server():
    with socket.socket() as probe:
        if probe.connect_ex((pb.HOST, PORT)) == 0:
            raise SystemExit(f"Something already listens on {pb.HOST}:{PORT}.")
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "admin_portal.wsgi",
            "--bind",
            f"{pb.HOST}:{PORT}",
            "--workers",
            str(pb.WORKERS),
            "--no-control-socket",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env(),
    )
    for _ in range(150):
        try:
            if Client().request("GET", "/healthz")[0] == 200:
                return server
        except OSError:
            if server.poll() is not None:
                break
            time.sleep(0.1)
    stop_server(server)
    raise SystemExit("gunicorn did not start.")


def stop_server(server):
    server.terminate()
    try:
        server.wait(10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def tenant_admin():
    client = Client()
    assert client.sign_in(TENANT_ADMIN) == 302
    return client


def operator(token):
    """An operator's client, signed in with the password and a static token (single use)."""
    client = Client()
    assert client.sign_in(OPERATOR) == 302  # on to the second step
    status, page = client.request("GET", "/signin/verify/")
    assert status == 200, f"/signin/verify/ answered {status}"
    status, _ = client.request(
        "POST",
        "/signin/verify/",
        {
            "csrfmiddlewaretoken": form_value(page, "csrfmiddlewaretoken"),
            "otp_device": form_value(page, "otp_device"),
            "otp_token": token,
        },
    )
    assert status == 302, f"the second step answered {status}"
    return client


def pages(paths, latencies=None):
    """An action for pb.rate(): GET the next of ``paths``, expecting 200."""
    turn = itertools.count()

    def get(client):
        path = paths[next(turn) % len(paths)]
        started = time.perf_counter()
        status = client.request("GET", path)[0]
        if latencies is not None:
            latencies.append(time.perf_counter() - started)
        assert status == 200, f"{path} answered {status}"
        return status

    return get


def searches(path):
    return [f"{path}?q={term}" for term in SEARCH_TERMS]


def check_pages(admins, operators):
    """Fail early, with a clear message, rather than time error pages or redirects."""
    status, _ = admins[0].request("GET", PORTAL_LIST)
    if status != 200:
        raise SystemExit(f"{PORTAL_LIST} answered {status} to a Global admin: is it built?")
    for path in [ADMIN_LIST, *searches(ADMIN_LIST)]:
        status, page = operators[0].request("GET", path)
        assert status == 200 and b'id="result_list"' in page, f"{path} is no changelist"
    # Both searches find people: "Smith" (capitalised) is in result rows, not the search box.
    for client, path in [(admins[0], PORTAL_LIST), (operators[0], ADMIN_LIST)]:
        status, page = client.request("GET", f"{path}?q=smith")
        assert status == 200 and b"Smith" in page, f"{path}?q=smith found nobody"


def measure(args):
    manage("migrate", "-v0")
    manage("seed_demo", "--users", str(args.users))
    manage("collectstatic", "--no-input", "-v0")
    # Pages are measured, not the second-factor policy (as in portal_bench).
    manage(
        "shell",
        "-v0",
        "-c",
        "from accounts.models import Tenant; Tenant.objects.update(require_mfa_for_admins=False)",
    )
    manage(
        "createsuperuser",
        "--noinput",
        "--username",
        OPERATOR,
        DJANGO_SUPERUSER_PASSWORD=pb.PASSWORD,
        DJANGO_SUPERUSER_DISPLAY_NAME="Bench Operator",
    )
    tokens = [f"bench{n:03d}" for n in range(CLIENTS)]
    for token in tokens:
        manage("addstatictoken", OPERATOR, "-t", token, quiet=True)

    server = start_server()
    try:
        # Signing in costs Argon2: all of it before any timing.
        admins = [tenant_admin() for _ in range(CLIENTS)]
        operators = [operator(token) for token in tokens]
        check_pages(admins, operators)
        latencies = []
        subjects = {
            "portal list": (admins, pages([PORTAL_LIST])),
            "admin list": (operators, pages([ADMIN_LIST])),
            "portal search": (admins, pages(searches(PORTAL_LIST), latencies)),
            "admin search": (operators, pages(searches(ADMIN_LIST))),
        }
        for clients, action in subjects.values():  # warm up workers, caches, PostgreSQL
            pb.rate(clients, action, 1)
        latencies.clear()
        # Interleaved rounds of one second each, so every subject sees the same load.
        totals = dict.fromkeys(subjects, 0.0)
        rounds = max(1, int(args.seconds))
        for _ in range(rounds):
            for name, (clients, action) in subjects.items():
                totals[name] += pb.rate(clients, action, 1)
    finally:
        stop_server(server)
    results = {name: total / rounds for name, total in totals.items()}
    latencies_ms = sorted(1000 * seconds for seconds in latencies)
    results["p50_ms"] = statistics.median(latencies_ms)
    results["p99_ms"] = latencies_ms[min(len(latencies_ms) - 1, int(0.99 * len(latencies_ms)))]
    results["samples"] = len(latencies_ms)
    return results


def report(args, results):
    rounds = max(1, int(args.seconds))
    print(
        f"users in the tenant: {args.users + 9:,}; gunicorn workers: {pb.WORKERS}; "
        f"clients per side: {CLIENTS}; {rounds} interleaved rounds of 1 s"
    )
    print(f"portal {PORTAL_LIST}[?q=term], Django admin {ADMIN_LIST}[?q=term]")
    print(f"search terms: {', '.join(SEARCH_TERMS)}")
    rows, met = [], []
    for label, key in [("Active users (req/s)", "list"), ("Users search (req/s)", "search")]:
        portal, admin = results[f"portal {key}"], results[f"admin {key}"]
        met.append(portal / admin >= BUDGETS[key])
        verdict = "met" if met[-1] else "NOT MET"
        ratio, budget = f"{portal / admin:.1f}x", f">= {BUDGETS[key]:g}x"
        rows.append([label, f"{portal:.1f}", f"{admin:.1f}", ratio, budget, verdict])
    met.append(results["p99_ms"] < BUDGETS["p99_ms"])
    verdict = "met" if met[-1] else "NOT MET"
    p99, budget = f"{results['p99_ms']:.1f}", f"< {BUDGETS['p99_ms']:g} ms"
    rows.append(["Users search p99 (ms)", p99, "", "", budget, verdict])
    rows.append(["Users search p50 (ms)", f"{results['p50_ms']:.1f}", "", "", "", ""])
    table = [["", "portal", "Django admin", "ratio", "budget", ""], *rows]
    widths = [max(len(row[col]) for row in table) for col in range(len(table[0]))]
    for row in table:
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(row[1:4], widths[1:4], strict=True)]
        cells += [cell.ljust(width) for cell, width in zip(row[4:], widths[4:], strict=True)]
        print("  ".join(cells).rstrip())
    print(f"p99 and p50 from {results['samples']:,} portal searches during the rounds")
    return all(met)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100000)
    parser.add_argument("--seconds", type=float, default=10, help="interleaved rounds of 1 s")
    args = parser.parse_args()

    drop_database()
    subprocess.run(["createdb", "-h", pb.HOST, "-U", "postgres", DATABASE], check=True)
    try:
        results = measure(args)
    finally:
        drop_database()
    sys.exit(0 if report(args, results) else 1)


if __name__ == "__main__":
    main()
