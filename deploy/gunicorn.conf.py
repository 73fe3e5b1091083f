"""gunicorn settings for the portal's app nodes (``gunicorn -c deploy/gunicorn.conf.py``).

Read from the environment, like the portal's own settings:
  PORT / BIND        where to listen (default 127.0.0.1:8000; behind nginx on the same host)
  WEB_CONCURRENCY    worker processes (default: 2 per CPU + 1)
  WEB_THREADS        threads per worker (default 2)
  FORWARDED_ALLOW_IPS  proxies whose X-Forwarded-Proto gunicorn trusts (default 127.0.0.1)
  GUNICORN_ACCESS_LOG  gunicorn's own access log (default off: the portal logs each request)
"""

import multiprocessing
import os

wsgi_app = "admin_portal.wsgi"
bind = os.environ.get("BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * multiprocessing.cpu_count() + 1)
threads = int(os.environ.get("WEB_THREADS") or 2)
# Argon2 sign-ins take a tenth of a second of CPU; a request is never slower than this.
timeout = 30
graceful_timeout = 20
# Workers restart now and then, so a slow leak never grows without bound.
max_requests = 2000
max_requests_jitter = 200
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Logs go to the journal (systemd) or the terminal. The portal itself writes one
# JSON line per request (logger portal.request, with the request id and without the
# query string, which may hold names), so gunicorn's own access log is off unless
# GUNICORN_ACCESS_LOG names a file ("-" for the terminal).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Nothing here needs gunicorn's control socket.
control_socket_disable = True
