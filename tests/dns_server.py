"""A small DNS server on 127.0.0.1, so domain verification's real lookup code runs (a fixture)."""

import time

import pytest
from dnslib import QTYPE, RCODE, RR, TXT
from dnslib.server import BaseResolver, DNSLogger, DNSServer


class RecordBook(BaseResolver):
    """Answer TXT questions from ``records``; names in ``silent`` answer too late."""

    def __init__(self):
        self.records = {}
        self.silent = set()

    def resolve(self, request, handler):
        name = str(request.q.qname).rstrip(".").lower()
        if name in self.silent:
            time.sleep(1.5)
        reply = request.reply()
        if name in self.records:
            for value in self.records[name]:
                reply.add_answer(RR(name, QTYPE.TXT, rdata=TXT(value), ttl=60))
        else:
            reply.header.rcode = RCODE.NXDOMAIN
        return reply


@pytest.fixture
def dns_server(settings):
    book = RecordBook()
    server = DNSServer(
        book,
        address="127.0.0.1",
        port=0,
        logger=DNSLogger("-request,-reply,-truncated,-error,-recv,-send,-data"),
    )
    server.start_thread()
    settings.PORTAL_DNS_NAMESERVERS = "127.0.0.1"
    settings.PORTAL_DNS_PORT = server.server.server_address[1]
    settings.PORTAL_DNS_TIMEOUT = 0.5
    yield book
    server.stop()
