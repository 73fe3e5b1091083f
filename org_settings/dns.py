"""TXT lookups for domain verification, through dnspython.

The resolver asks the name servers of ``PORTAL_DNS_NAMESERVERS`` (comma-separated
addresses; empty: the system's) on ``PORTAL_DNS_PORT``, and gives up after
``PORTAL_DNS_TIMEOUT`` seconds. Tests point it at a small DNS server of their own,
so this code runs for real.
"""

import dns.exception
import dns.resolver
from django.conf import settings


class LookupFailed(Exception):
    """The name servers did not answer in time, or answered with an error."""


def _resolver():
    nameservers = [ns.strip() for ns in settings.PORTAL_DNS_NAMESERVERS.split(",") if ns.strip()]
    resolver = dns.resolver.Resolver(configure=not nameservers)
    if nameservers:
        resolver.nameservers = nameservers
    resolver.port = settings.PORTAL_DNS_PORT
    resolver.timeout = resolver.lifetime = settings.PORTAL_DNS_TIMEOUT
    return resolver


def txt_records(name):
    """Return the TXT strings of ``name`` ([] when it has none or does not exist)."""
    try:
        answer = _resolver().resolve(name, "TXT", raise_on_no_answer=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except (dns.exception.Timeout, dns.resolver.NoNameservers) as error:
        raise LookupFailed(str(error)) from error
    records = []
    for rdata in answer.rrset or ():
        records.append(b"".join(rdata.strings).decode("utf-8", "replace"))
    return records
