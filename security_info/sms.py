"""The portal's SMS contract: ``send_sms(to, body)`` and, with the locmem backend, ``outbox``.

The backends are a library piece (``core.sms``), because the outbox in ``core``
delivers through them. This module keeps the name the portal, its operators'
settings and its tests rely on; every name here is the same object as there.
"""

from core.sms import (  # noqa: F401 - re-exported under the contract's name
    BACKENDS,
    E164,
    BaseBackend,
    ConsoleBackend,
    FileBackend,
    HttpBackend,
    LocmemBackend,
    Message,
    SMSDeliveryError,
    get_backend,
    mask_number,
    outbox,
    send_sms,
)
