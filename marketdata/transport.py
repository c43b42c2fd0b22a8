"""Under daphne: write frames straight into the socket's autobahn protocol, with backpressure.

ASGI's `send` costs a coroutine and, through the Outbox, a task wake-up per frame and socket, and
daphne then frames the same text again for every socket. daphne hands each application
`send = partial(server.handle_reply, protocol)`, so the socket's protocol (autobahn's
WebSocketServerProtocol) is reachable from `send`. Through it:

- direct writes: autobahn's broadcast API, `factory.prepareMessage(payload)` once per frame and
  `protocol.sendPreparedMessage(prepared)` per socket (marketdata.hub.Frame caches the prepared
  message), called synchronously by the Outbox when nothing is waiting for that socket. When no
  compression was negotiated and autobahn queued nothing, the prepared bytes of all the frames a
  batch has for the socket go to its transport in one write (what sendPreparedMessage would do,
  minus its per-frame logging work);
- backpressure: ASGI gives no way to see that a client reads slowly; daphne's `send` never waits,
  it appends to Twisted's write buffer, which would grow without limit. Twisted does tell a
  registered *push producer* when that buffer passes its high-water mark (`pauseProducing`) and
  when it drained (`resumeProducing`): the Outbox is registered as one (in place of, and forwarding
  to, the producer daphne left there), stops writing while paused, and a socket that stays paused
  fills its bounded Outbox and is closed as too slow.

Under any other server (or Channels' test communicator) none of this applies: the Outbox writes
through `send`, and relies on `send` itself waiting, as servers with flow control do.
"""

import functools
import logging
from typing import Any

from twisted.internet.interfaces import IPushProducer
from zope.interface import implementer

from marketdata.hub import Frame, Outbox
from marketdata.protocol import MAX_MESSAGE_BYTES

log = logging.getLogger("quantx.marketdata")


@implementer(IPushProducer)
class _OutboxProducer:
    """Pauses/resumes the Outbox, and forwards to the producer it replaced (daphne leaves Twisted's
    HTTPChannel registered on the transport after the WebSocket upgrade; it pauses reading)."""

    def __init__(self, outbox: Outbox, previous: Any) -> None:
        self.outbox = outbox
        self.previous = previous

    def pauseProducing(self) -> None:
        self.outbox.pause()
        if self.previous is not None:
            self.previous.pauseProducing()

    def resumeProducing(self) -> None:
        self.outbox.resume()
        if self.previous is not None:
            self.previous.resumeProducing()

    def stopProducing(self) -> None:
        self.outbox.resume()
        if self.previous is not None:
            self.previous.stopProducing()


def daphne_protocol(send: Any) -> Any | None:
    """The autobahn protocol behind daphne's `send`, or None under any other server.

    Channels' SessionMiddleware (in AuthMiddlewareStack) hands the consumer its own bound
    `send`, which keeps the server's as `real_send`: that wrapping is looked through.
    """
    for _ in range(8):
        if isinstance(send, functools.partial):
            protocol = send.args[0] if send.args else None
            needed = ("sendPreparedMessage", "factory", "transport", "STATE_OPEN")
            return protocol if protocol is not None and all(hasattr(protocol, n) for n in needed) else None
        send = getattr(getattr(send, "__self__", None), "real_send", None)
        if send is None:
            return None
    return None


def transport_limit(send: Any) -> None:
    """Client messages over MAX_MESSAGE_BYTES end the socket with a close frame 1009 (daphne only).

    daphne lets messages of up to 1 MiB through, and autobahn, on a bigger one, drops the TCP
    connection without a close frame (`failByDrop`): the client saw 1006 and no reason. Set on the
    socket (before it is accepted) and on its factory (for sockets opened later).
    """
    protocol = daphne_protocol(send)
    if protocol is None:
        return
    options = {"maxMessagePayloadSize": MAX_MESSAGE_BYTES, "maxFramePayloadSize": MAX_MESSAGE_BYTES}
    for name, value in {**options, "failByDrop": False}.items():
        setattr(protocol, name, value)
    factory = protocol.factory
    if getattr(factory, "maxMessagePayloadSize", None) != MAX_MESSAGE_BYTES:
        factory.setProtocolOptions(failByDrop=False, **options)


def transport_attach(send: Any, outbox: Outbox) -> bool:
    """Gives the outbox daphne's direct write and backpressure, if `send` is daphne's."""
    protocol = daphne_protocol(send)
    if protocol is None:
        return False
    factory, open_state = protocol.factory, protocol.STATE_OPEN

    def write(frames: list[Frame]) -> None:
        if protocol.state != open_state:
            return
        if getattr(protocol, "_perMessageCompress", True) is None and not getattr(
            protocol, "send_queue", True
        ):
            # What sendPreparedMessage would write (no compression negotiated, nothing queued in
            # autobahn), for all frames at once: one write, no per-frame logging work.
            data = [f.prepared(factory).payloadHybi for f in frames]
            protocol.transport.write(data[0] if len(data) == 1 else b"".join(data))
        else:
            for frame in frames:
                protocol.sendPreparedMessage(frame.prepared(factory))

    outbox.direct = write
    transport = protocol.transport
    try:
        previous = getattr(transport, "producer", None)
        if previous is not None:
            transport.unregisterProducer()
        transport.registerProducer(_OutboxProducer(outbox, previous), True)
    except Exception:
        log.warning("marketdata: no backpressure on %r", transport, exc_info=True)
    return True
