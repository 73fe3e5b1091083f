"""Do the self-service reset's answers take as long for a name that exists as for one that doesn't?

    .venv/bin/python bench/reset_timing.py [--samples 300]

Starts one app node and one Celery worker over this machine's PostgreSQL and
Redis (bench/cluster.py), with an organization whose user has a verified
alternate email. Then, interleaved, it times the two requests a visitor sends
(the name, then the method and the address) for that user with the right
address, and for a name that does not exist, and prints both distributions and a
two-sample Kolmogorov-Smirnov test. A p-value well above 0.05 says the two are
indistinguishable at this sample size; a tiny one is a timing oracle. Figures
are printed, not asserted: this machine is shared and noisy.
"""

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.cluster import Browser, Cluster, services_up

SETUP = """
from accounts.models import User
from accounts.services import tenant_create
from security_info.models import AltEmailDevice
from django.utils import timezone
tenant = tenant_create(name="Timing", domain="timing.example",
    admin_username="admin@timing.example", admin_password="Timing-Bench-2026-!", country="NL")
admin = User.objects.get(username="admin@timing.example")
AltEmailDevice.all_objects.create(user=admin, name="Alternate email",
    email="admin@example.org", confirmed=True, verified_at=timezone.now())
"""

EXISTING = ("admin@timing.example", "admin@example.org")
MISSING = ("nobody@timing.example", "admin@example.org")


def ks_test(a, b):
    """Return the two-sample Kolmogorov-Smirnov statistic and its asymptotic p-value."""
    a, b = sorted(a), sorted(b)
    i = j = 0
    d = 0.0
    while i < len(a) and j < len(b):
        if a[i] <= b[j]:
            i += 1
        else:
            j += 1
        d = max(d, abs(i / len(a) - j / len(b)))
    n = len(a) * len(b) / (len(a) + len(b))
    lam = (math.sqrt(n) + 0.12 + 0.11 / math.sqrt(n)) * d
    p = 2 * sum((-1) ** (k - 1) * math.exp(-2 * k * k * lam * lam) for k in range(1, 101))
    return d, min(1.0, max(0.0, p))


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def one_reset(port, name, address):
    """Return the seconds the name and the method requests took, together."""
    browser = Browser()
    browser.get(port, "/password/reset/")
    began = time.perf_counter()
    status, _, _ = browser.request(port, "POST", "/password/reset/", {"username": name})
    assert status == 302, status
    browser.get(port, "/password/reset/method/")
    between = time.perf_counter()
    status, _, _ = browser.request(
        port, "POST", "/password/reset/method/", {"method": "email", "email": address}
    )
    assert status == 302, status
    ended = time.perf_counter()
    # The GET in between (which refreshes the CSRF token) is not counted.
    return (between - began) + (ended - between)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args(argv)
    if not services_up():
        print("needs this machine's PostgreSQL (5432) and Redis (6379)")
        return 2
    with tempfile.TemporaryDirectory() as folder:
        cluster = Cluster(folder, nodes=1, workers=1, threads=2)
        cluster.env["PORTAL_RESET_ADDRESS_ATTEMPTS"] = str(10 * args.samples)
        try:
            cluster.start(SETUP)
            cluster.start_worker()
            port = cluster.ports[0]
            for _ in range(20):  # warm up both paths
                one_reset(port, *EXISTING)
                one_reset(port, *MISSING)
            times = {"existing": [], "missing": []}
            for _ in range(args.samples):
                times["existing"].append(one_reset(port, *EXISTING))
                times["missing"].append(one_reset(port, *MISSING))
        finally:
            cluster.stop()
    print(f"Self-service reset, name + method requests, {args.samples} samples each (ms):")
    for label, values in times.items():
        print(
            f"  {label:9} median {1000 * percentile(values, 0.5):6.2f}"
            f"  p10 {1000 * percentile(values, 0.1):6.2f}"
            f"  p90 {1000 * percentile(values, 0.9):6.2f}"
        )
    ratio = percentile(times["existing"], 0.5) / percentile(times["missing"], 0.5)
    d, p = ks_test(times["existing"], times["missing"])
    print(f"  median existing / missing: {ratio:.3f}x")
    print(f"  Kolmogorov-Smirnov D = {d:.3f}, p = {p:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
