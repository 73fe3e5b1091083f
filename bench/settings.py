"""Settings for benchmarks: the production settings plus a baseline view."""

from admin_portal.settings import *  # noqa: F403
from admin_portal.settings import TEMPLATES

ROOT_URLCONF = "bench.urls"
TEMPLATES[0]["DIRS"].append(BASE_DIR / "bench" / "templates")  # noqa: F405
