"""Several app nodes on loopback over this machine's PostgreSQL and Redis.

``Cluster`` makes a database of its own, migrates it, runs a setup script in it,
collects the static files and starts N gunicorn nodes with production settings
on loopback ports the OS picks; ``stop()`` ends the nodes, removes the Redis keys
under its own prefix and drops the database. ``Browser`` is a cookie jar over plain
HTTP that may send each request to any node, as a load balancer would.

Everything shared with other runs on this machine is named per cluster: the
database, the Redis key prefix and Celery queue (and worker name), and the ports,
which stay bound from the moment the OS gives them out (a node gets its listening
socket handed over, never a port number to bind later), so two test runs at once
never meet. Waits are for a condition, with a generous guard against a hang
(``PATIENCE_SECONDS``), never a time limit: a busy machine is slow, not wrong.

Used by the multi-node tests (tests/system/) and the load benchmark (bench/load.py).
"""

import contextlib
import http.client
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
REDIS = "redis://127.0.0.1:6379/12"
PATIENCE_SECONDS = 300  # how long a wait may take before it counts as a hang


def wait_for(check, what, patience=PATIENCE_SECONDS, every=0.1):
    """Return how long it took until ``check()`` was true; fail (a hang) after ``patience``.

    The time is for the report only: a test asserts what happened, never how soon.
    """
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > patience:
            raise AssertionError(f"{what}: still not after {patience} s (a hang?)")
        time.sleep(every)
    return time.monotonic() - started


def reachable(host, port):
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def services_up():
    """Return whether this machine's PostgreSQL and Redis answer."""
    return reachable("127.0.0.1", 5432) and reachable("127.0.0.1", 6379)


def listening_socket():
    """Return a socket listening on a loopback port the OS picked (``.getsockname()[1]``)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


class TcpProxy:
    """Forward a loopback port to a service; ``cut()`` and ``restore()`` fake an outage.

    While cut, the proxy hangs up on every new connection and has closed the open
    ones, as a server going down would, while the real server goes on serving
    others. The port stays the proxy's throughout, so no one else can take it.
    """

    def __init__(self, target_port):
        self.target_port = target_port
        self.listener = listening_socket()
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.sockets = []
        self.up = True
        threading.Thread(target=self._accept, daemon=True).start()

    def restore(self):
        with self.lock:
            self.up = True

    def cut(self):
        with self.lock:
            self.up = False
            sockets, self.sockets = self.sockets, []
        for sock in sockets:
            _hang_up(sock)

    def close(self):
        self.cut()
        self.listener.close()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            with self.lock:
                up = self.up
            if not up:
                _hang_up(client)
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                _hang_up(client)
                continue
            with self.lock:
                if not self.up:  # cut meanwhile
                    _hang_up(client)
                    _hang_up(upstream)
                    continue
                self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        """Copy until either side ends (or is cut)."""
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)


def _hang_up(sock):
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


class Cluster:
    def __init__(self, folder, *, nodes=2, workers=1, threads=2, settings="admin_portal.settings"):
        self.folder = Path(folder)
        self.count, self.workers, self.threads = nodes, workers, threads
        self.database = f"portal_nodes_{secrets.token_hex(4)}"
        self.prefix = f"nodes-{secrets.token_hex(4)}"
        self.ports, self.servers = [], []
        self.env = {
            **{k: v for k, v in os.environ.items() if k != "PYTEST_XDIST_WORKER"},
            "DJANGO_SETTINGS_MODULE": settings,
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "PORTAL_BASE_URL": "http://127.0.0.1",
            "DATABASE_URL": f"{PG_SERVER}/{self.database}",
            "REDIS_URL": REDIS,
            "CACHE_KEY_PREFIX": self.prefix,
            "CELERY_QUEUE": self.prefix,
            "STATIC_ROOT": str(self.folder / "static"),
            "SMS_BACKEND": "file",
            "SMS_FILE_PATH": str(self.folder / "sms"),
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(self.folder / "mail"),
            "PYTHONPATH": str(ROOT),
        }

    @property
    def database_url(self):
        return self.env["DATABASE_URL"]

    def manage(self, *args, capture=False):
        return subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            env=self.env,
            check=True,
            cwd=ROOT,
            capture_output=capture,
            text=True,
        )

    def start(self, setup_script=None, *, proxies=False):
        """Start the nodes; with ``proxies``, they reach PostgreSQL and Redis through
        ``self.database_proxy`` and ``self.redis_proxy``, which a test may cut."""
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{self.database}"')
        self.manage("migrate", "--no-input", "-v0")
        self.manage("collectstatic", "--no-input", "-v0")
        if setup_script:
            self.manage("shell", "-v0", "-c", setup_script)
        node_env = dict(self.env)
        if proxies:
            self.database_proxy, self.redis_proxy = TcpProxy(5432), TcpProxy(6379)
            self.proxies = [self.database_proxy, self.redis_proxy]
            node_env["DATABASE_URL"] = node_env["DATABASE_URL"].replace(
                ":5432/", f":{self.database_proxy.port}/"
            )
            node_env["REDIS_URL"] = REDIS.replace(":6379/", f":{self.redis_proxy.port}/")
        for _ in range(self.count):
            # The node gets the listening socket itself (fd://), so the port is never free
            # for another process to take between the OS picking it and gunicorn binding it.
            with listening_socket() as sock:
                self.ports.append(sock.getsockname()[1])
                self.servers.append(
                    subprocess.Popen(
                        [
                            str(Path(sys.executable).parent / "gunicorn"),
                            "admin_portal.wsgi",
                            "--bind",
                            f"fd://{sock.fileno()}",
                            "--workers",
                            str(self.workers),
                            "--threads",
                            str(self.threads),
                            # A worker starved of CPU on a busy machine is slow, not stuck.
                            "--timeout",
                            str(PATIENCE_SECONDS),
                            "--no-control-socket",
                            "--log-level",
                            "warning",
                        ],
                        cwd=ROOT,
                        env=node_env,
                        pass_fds=[sock.fileno()],
                    )
                )
        for port, server in zip(self.ports, self.servers, strict=True):
            # Connections wait in the socket's queue until gunicorn takes them.
            wait_for(
                lambda port=port, server=server: self._serving(port, server),
                f"the node on port {port} serving /healthz",
            )
        return self

    @staticmethod
    def _serving(port, server):
        if server.poll() is not None:
            raise RuntimeError(f"the node on port {port} exited with {server.returncode}")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=PATIENCE_SECONDS)
        try:
            connection.request("GET", "/healthz")
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    def start_worker(self):
        """Start a Celery worker on the cluster's Redis and database; return its log file.

        It consumes the cluster's own queue under a name of its own, and neither
        syncs nor gossips with workers of other runs on the same Redis.
        """
        log = self.folder / "worker.log"
        self.servers.append(
            subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "celery"),
                    "-A",
                    "admin_portal",
                    "worker",
                    "--hostname",
                    f"{self.prefix}@%h",
                    "--without-mingle",
                    "--without-gossip",
                    "--without-heartbeat",
                    "--concurrency",
                    "1",
                    "--loglevel",
                    "info",
                    "--logfile",
                    str(log),
                ],
                cwd=ROOT,
                env=self.env,
            )
        )
        return log

    def stop(self):
        import psycopg
        import redis

        for server in self.servers:
            server.terminate()
        for server in self.servers:
            try:
                server.wait(timeout=PATIENCE_SECONDS)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        for proxy in getattr(self, "proxies", []):
            proxy.close()
        client = redis.Redis.from_url(REDIS)
        for pattern in (f"{self.prefix}*", f"_kombu.binding*.{self.prefix}*"):
            for key in client.scan_iter(match=pattern, count=1000):
                client.delete(key)
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')


class Browser:
    """A cookie jar over plain HTTP; each request may go to any node."""

    def __init__(self):
        self.cookies = {}
        self.token = ""  # the CSRF token of the last form seen

    def request(self, port, method, path, data=None):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=PATIENCE_SECONDS)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if data is not None:
            body = urlencode({"csrfmiddlewaretoken": self.token, **data}, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read().decode("utf-8", "replace")
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        connection.close()
        if token := re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', content):
            self.token = token.group(1)
        return response.status, response.getheader("Location") or "", content

    def get(self, port, path):
        return self.request(port, "GET", path)

    def upload(self, port, path, field, filename, content, data=None):
        """POST a form with one file, as multipart/form-data; return like ``follow``."""
        boundary = secrets.token_hex(16)
        parts = []
        for name, value in {"csrfmiddlewaretoken": self.token, **(data or {})}.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
            f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'.encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=PATIENCE_SECONDS)
        connection.request(
            "POST",
            path,
            body=b"".join(parts),
            headers={
                "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
                "Content-Type": f"multipart/form-data; boundary={boundary}",
            },
        )
        response = connection.getresponse()
        content = response.read().decode("utf-8", "replace")
        connection.close()
        if token := re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', content):
            self.token = token.group(1)
        return response.status, content

    def follow(self, port, method, path, data=None):
        """Send the request, follow redirects on the same node; return (status, path, html)."""
        status, location, content = self.request(port, method, path, data)
        while status in (301, 302, 303):
            parts = urlsplit(location)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            status, location, content = self.get(port, path)
        return status, path, content

    def sign_in(self, port, username, password):
        self.get(port, "/signin/")
        return self.follow(port, "POST", "/signin/", {"username": username, "password": password})
