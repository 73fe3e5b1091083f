"""A small DNS server on 127.0.0.1, so domain verification's real lookup code runs (a fixture).

It listens on a port the OS picks. Lookups get a generous time-out, so an answer is
never missed on a busy machine; a name made silent is never answered at all, and
adding one shortens the time-out, so the "no answer" path is taken every time and soon.
"""

import threading

import pytest
from dnslib import QTYPE, RCODE, RR, TXT
from dnslib.server import BaseResolver, DNSLogger, DNSServer

PATIENCE_SECONDS = 30  # how long a lookup may take on a loaded machine
SILENCE_SECONDS = 0.5  # how long the resolver waits for a silent name


class _Silent(set):
    """The names that get no answer; adding one calls ``on_add``."""

    def __init__(self, on_add):
        super().__init__()
        self.on_add = on_add

    def add(self, name):
        super().add(name)
        self.on_add()


class RecordBook(BaseResolver):
    """Answer TXT questions from ``records``; names in ``silent`` only once the test is over."""

    def __init__(self, on_silence=lambda: None):
        self.records = {}
        self.silent = _Silent(on_silence)
        self.closing = threading.Event()

    def resolve(self, request, handler):
        name = str(request.q.qname).rstrip(".").lower()
        if name in self.silent:
            # Answer only when the fixture ends: the resolver has given up long before.
            self.closing.wait()
        reply = request.reply()
        if name in self.records:
            for value in self.records[name]:
                reply.add_answer(RR(name, QTYPE.TXT, rdata=TXT(value), ttl=60))
        else:
            reply.header.rcode = RCODE.NXDOMAIN
        return reply


@pytest.fixture
def dns_server(settings):
    def shorten_timeout():
        settings.PORTAL_DNS_TIMEOUT = SILENCE_SECONDS

    book = RecordBook(on_silence=shorten_timeout)
    server = DNSServer(
        book,
        address="127.0.0.1",
        port=0,
        logger=DNSLogger("-request,-reply,-truncated,-error,-recv,-send,-data"),
    )
    server.start_thread()
    settings.PORTAL_DNS_NAMESERVERS = "127.0.0.1"
    settings.PORTAL_DNS_PORT = server.server.server_address[1]
    settings.PORTAL_DNS_TIMEOUT = PATIENCE_SECONDS
    yield book
    book.closing.set()
    server.stop()
    server.server.server_close()
