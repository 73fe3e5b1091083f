"""Requests/s and latency of a SCIM ``userName eq`` lookup in a large organization, by wrk.

    apt-get install -y wrk   # the load tool (Debian 12: wrk 4.1.0)
    .venv/bin/python bench/scim_bench.py [--users 100000] [--seconds 20]

Builds a database of its own with the demo tenant and ``--users`` users (seed_demo, as
bench/users_bench.py does) and serves it with gunicorn, 2 sync workers, production
settings (bench/cluster.py: its own database, Redis key prefix and port, all removed
afterwards). Adds an API client with the User admin role (create_api_token) and writes
the sign-in names of the organization's users to a file. One request checks that
``/scim/v2/Users?filter=userName eq "<name>"`` finds that user. Then wrk (two threads,
four connections) looks up a user name picked at random from that file on every
request, with the client's secret in the Authorization header, for a short warm-up
and then ``--seconds``. Any answer other than a 200 that finds exactly one user fails
the run (a wrong secret, a missing role or the rate limit would otherwise be timed).

Prints requests/s, p50/p90/p99 as wrk reports them (with the samples wrk adds for
coordinated omission) and of the requests really made, and whether the budget in
DESIGN.md, p99 under 20 ms, is met. It prints figures; it asserts nothing about
them. Only 127.0.0.1 is contacted.
"""

import argparse
import http.client
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import users_bench as ub
from bench.cluster import Cluster, services_up

pb = ub.pb  # bench/portal_bench.py: the host and the number of workers

DOMAIN = "contoso.example"  # the demo tenant's domain (seed_demo)
THREADS, CONNECTIONS = 2, ub.CONNECTIONS  # 4 connections, as the budget says
WARM_UP_SECONDS = 3
BUDGET_P99_MS = 20.0  # DESIGN.md: a SCIM userName eq lookup at 100,000 users
LOOKUP = "/scim/v2/Users?filter=userName%20eq%20%22{name}%22"

# Write the sign-in names of the demo tenant's users (not the deleted) to a file.
NAMES_SCRIPT = """\
from accounts.models import Domain, User
tenant = Domain.objects.get(name={domain!r}).tenant
names = User.objects.for_tenant(tenant).active().values_list("username", flat=True)
with open({path!r}, "w") as file:
    file.writelines(name + "\\n" for name in names.iterator())
"""

# wrk's script. Arguments after "--": the file of user names, one a line, and the
# client's secret. Each request looks up a name picked at random; an answer other than
# a 200 with exactly one user counts as wrong. done() prints the totals and wrk's
# latency histogram (microseconds), for users_bench.measured_latencies.
WRK_SCRIPT = """\
local threads = {}
local names = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

local function escape(c)
  return string.format("%%%02X", string.byte(c))
end

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then
      names[#names + 1] = (line:gsub("[^%w%-%._~]", escape))
    end
  end
  if #names == 0 then
    error("no user names in " .. args[1])
  end
  wrk.headers["Authorization"] = "Bearer " .. args[2]
  wrk.headers["Accept"] = "application/scim+json"
  math.randomseed(os.time() * 100 + id)
  wrong = 0
end

function request()
  local name = names[math.random(#names)]
  return wrk.format("GET", "/scim/v2/Users?filter=userName%20eq%20%22" .. name .. "%22")
end

function response(status, headers, body)
  if status ~= 200 or not string.find(body, '"totalResults"%s*:%s*1%s*[,}]') then
    wrong = wrong + 1
  end
end

function done(summary, latency, requests)
  local wrong = 0
  for _, thread in ipairs(threads) do
    wrong = wrong + thread:get("wrong")
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d wrong=%d connect=%d read=%d write=%d "
      .. "status=%d timeout=%d\\n",
    summary.requests, summary.duration, wrong, e.connect, e.read, e.write, e.status,
    e.timeout))
  for i = 1, #latency do
    local value, count = latency(i)
    io.write(string.format("LATENCY %d %d\\n", value, count))
  end
end
"""

UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}


def set_up(cluster, users, folder):
    """Seed the organization; return the API client's secret and the file of user names."""
    cluster.manage("seed_demo", "--users", str(users), capture=True)
    done = cluster.manage(
        "create_api_token", DOMAIN, "SCIM bench", "--role", "user_admin", capture=True
    )
    secret = done.stdout.strip().splitlines()[-1]
    names = folder / "names.txt"
    cluster.manage("shell", "-v0", "-c", NAMES_SCRIPT.format(domain=DOMAIN, path=str(names)))
    return secret, names


def check_lookup(port, secret, name):
    """Fail early, with a clear message, unless the lookup finds ``name``."""
    path = LOOKUP.format(name=quote(name, safe=""))
    connection = http.client.HTTPConnection(pb.HOST, port, timeout=60)
    try:
        connection.request("GET", path, headers={"Authorization": f"Bearer {secret}"})
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    if response.status != 200:
        raise SystemExit(f"{path} answered {response.status}: {body[:300]!r}")
    found = json.loads(body)
    if found.get("totalResults") != 1 or found["Resources"][0].get("userName") != name:
        raise SystemExit(f"{path} did not find {name} alone: {body[:300]!r}")


def wrk(port, seconds, script, names, secret):
    """One wrk run; return wrk's own figures, its totals and the latency histograms."""
    command = [
        "wrk",
        f"-t{THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(script),
        f"http://{pb.HOST}:{port}/scim/v2/Users",
        "--",
        str(names),
        secret,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    totals = re.search(r"^BENCH (.*)$", done.stdout, re.MULTILINE)
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", done.stdout, re.MULTILINE)
    if done.returncode != 0 or not totals or not rate:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    run = {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", totals.group(1))}
    errors = {key: run[key] for key in ("wrong", "connect", "read", "write", "status", "timeout")}
    if any(errors.values()) or run["requests"] == 0:
        raise SystemExit(
            f"wrk: {run['requests']} requests, errors {errors}; every answer must be a 200 "
            "that finds one user (wrong secret or role? rate limited? server down?)"
        )
    run["rate"] = float(rate.group(1))
    run["wrk percentiles"] = {
        int(percent): float(value) * UNITS_MS[unit]
        for percent, value, unit in re.findall(
            r"^\s+(\d+)%\s+([\d.]+)(us|ms|s|m|h)\s*$", done.stdout, re.MULTILINE
        )
    }
    run["wrk histogram"] = [
        (int(value), int(count))
        for value, count in re.findall(r"^LATENCY (\d+) (\d+)$", done.stdout, re.MULTILINE)
    ]
    run["histogram"] = ub.measured_latencies(run)
    return run


def report(args, count, run):
    percents = (50, 90, 99)
    made = {p: ub.percentile(run["histogram"], p / 100) / 1000 for p in percents}
    wrks = run["wrk percentiles"]
    print(
        f"users in the organization: {count:,}; gunicorn: {pb.WORKERS} sync workers, "
        f"production settings, PostgreSQL and Redis on 127.0.0.1"
    )
    print(
        f"wrk -t{THREADS} -c{CONNECTIONS} -d{args.seconds}s --latency, after a "
        f"{WARM_UP_SECONDS} s warm-up; each request: GET "
        + LOOKUP.format(name="<a user name at random>")
    )
    print(f"requests: {run['requests']:,} in {run['duration_us'] / 1e6:.1f} s, all 200, one user")
    print(f"requests/s: {run['rate']:.1f}")
    print(
        "latency, as wrk reports it: "
        + ", ".join(f"p{p} {wrks[p]:.2f} ms" for p in percents if p in wrks)
    )
    print(
        "latency, of the requests made (without wrk's coordinated-omission samples): "
        + ", ".join(f"p{p} {made[p]:.2f} ms" for p in percents)
    )
    p99 = wrks.get(99, made[99])
    verdict = "met" if p99 < BUDGET_P99_MS else "NOT MET"
    print(f"budget: p99 under {BUDGET_P99_MS:g} ms: {verdict} (wrk's p99 {p99:.2f} ms)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100000, help="users to seed (100000)")
    parser.add_argument("--seconds", type=int, default=20, help="seconds of wrk's run (20)")
    args = parser.parse_args()
    if args.users < 1 or args.seconds < 1:
        parser.error("--users and --seconds must be at least 1")
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    if not services_up():
        raise SystemExit("PostgreSQL and Redis must answer on 127.0.0.1 (5432, 6379).")

    with tempfile.TemporaryDirectory(prefix="scim_bench") as directory:
        folder = Path(directory)
        cluster = Cluster(folder, nodes=1, workers=pb.WORKERS, threads=1)
        cluster.env.update(
            PORTAL_DEMO_PASSWORD=pb.PASSWORD,  # seed_demo refuses its default with DEBUG off
            PORTAL_API_RATE_LIMIT="1000000000",  # the pace is measured, not limited
        )
        try:
            cluster.start()
            secret, names = set_up(cluster, args.users, folder)
            with names.open() as file:
                lines = file.read().split()
            port = cluster.ports[0]
            check_lookup(port, secret, lines[len(lines) // 2])
            script = folder / "lookup.lua"
            script.write_text(WRK_SCRIPT)
            wrk(port, WARM_UP_SECONDS, script, names, secret)  # code, caches, PostgreSQL
            run = wrk(port, args.seconds, script, names, secret)
        finally:
            cluster.stop()
    report(args, len(lines), run)


if __name__ == "__main__":
    main()
