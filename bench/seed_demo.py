"""Time `manage.py seed_demo --users N` on a throwaway SQLite and PostgreSQL database.

Usage: .venv/bin/python bench/seed_demo.py [--users 100000] [--no-postgres]

The budget (DESIGN.md) is under 20 s for 100,000 users. Each database is
created, migrated, seeded twice (the second run must add nothing) and dropped.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUDGET_SECONDS = 20
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DATABASE = "seedbench"


def manage(database_url, *args):
    env = {**os.environ, "DATABASE_URL": database_url, "DEBUG": "true"}
    env.pop("PORTAL_DEMO_PASSWORD", None)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True
    )
    return time.perf_counter() - started


def bench(label, database_url, users):
    manage(database_url, "migrate", "--verbosity=0")
    first = manage(database_url, "seed_demo", f"--users={users}")
    second = manage(database_url, "seed_demo", f"--users={users}")
    verdict = "ok" if first < BUDGET_SECONDS else f"OVER the {BUDGET_SECONDS} s budget"
    print(f"{label:<10} first run {first:6.2f} s ({verdict}), second run {second:6.2f} s")
    return first < BUDGET_SECONDS


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--no-postgres", action="store_true")
    options = parser.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        ok &= bench("SQLite", f"sqlite:///{tmp}/seedbench.sqlite3", options.users)
    if not options.no_postgres:
        pg = ["-h", "127.0.0.1", "-U", "postgres", PG_DATABASE]
        subprocess.run(["createdb", *pg], check=True)
        try:
            ok &= bench("PostgreSQL", f"{PG_SERVER}/{PG_DATABASE}", options.users)
        finally:
            subprocess.run(["dropdb", *pg], check=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
