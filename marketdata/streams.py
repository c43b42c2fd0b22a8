"""One WebSocket connection's side of the market-data protocol (docs/websocket.md).

The consumer only hands frames to a `StreamSession`; the session parses client ops, keeps the
connection's subscriptions in the process's hub (marketdata.hub), reads snapshots through the
selectors and writes every server frame through the connection's bounded Outbox.

Subscribing joins the stream FIRST (the subscription buffers frames), then reads the snapshot and
its seq, then sends the snapshot followed by the buffered frames newer than it: no gap, no double.
Subscribing again to a channel already subscribed is how a client resynchronises (new snapshot).
"""

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth.models import AnonymousUser

from accounts.models import User
from marketdata.auth import (
    WsCredential,
    ws_credential_from_api_key,
    ws_credential_from_jwt,
    ws_credential_from_session,
    ws_credential_valid,
)
from marketdata.channels import ChannelSpec, ProtocolError, channel_parse, error_text, snapshots_read, text
from marketdata.deadman import LeaseRefused, lease_keeper
from marketdata.hub import Frame, Hub, Outbox, Send, Subscription
from marketdata.protocol import (
    EV_AUTHENTICATED,
    EV_HEARTBEAT,
    EV_PONG,
    EV_SUBSCRIBED,
    EV_UNSUBSCRIBED,
    MAX_CHANNELS,
    MAX_ERRORS,
    MAX_FRAME_BYTES,
    MAX_OPS_PER_SECOND,
    OP_AUTH,
    OP_PING,
    OP_SUBSCRIBE,
    OP_UNSUBSCRIBE,
    PRIVATE_KINDS,
    SEND_QUEUE_MAX,
    CloseCode,
    WsErrorCode,
)
from quantx_site.errors import ApiError, ErrorCode
from quantx_site.jsonsafe import json_loads

log = logging.getLogger("quantx.marketdata")


def now_ms() -> int:
    return time.time_ns() // 1_000_000


# ---------------------------------------------------------------------------- the session


class StreamSession:
    """The protocol state of one connection: who it is, what it follows, how it behaves."""

    def __init__(self, *, hub: Hub, send: Send, credential: WsCredential | None) -> None:
        self.hub = hub
        self.credential = credential
        self.user: User | None = credential.user if credential is not None else None
        self._recheck: asyncio.Task[None] | None = None
        self.outbox = Outbox(
            send,
            limit=SEND_QUEUE_MAX,
            overflow_text=error_text(WsErrorCode.TOO_SLOW, "Too slow: the connection fell too far behind."),
            overflow_close_code=CloseCode.TOO_SLOW,
        )
        self.subs: dict[str, Subscription] = {}
        self.errors = 0
        self._second = 0
        self._ops = 0
        self.cod_lease: str | None = None  # cancel on disconnect (marketdata.deadman)
        self.last_frame_ms = now_ms()
        hub.listener_add(self)

    # --- from the consumer

    async def receive(self, text_data: str | None, bytes_data: bytes | None) -> None:
        request_id = None
        self.last_frame_ms = now_ms()
        try:
            message = self._parse(text_data, bytes_data)
            request_id = message.get("id")
            await self._handle(message)
        except ProtocolError as error:
            self.error(error.code, error.msg, request_id=request_id, **error.extra)

    def close(self) -> None:
        self._cod_release()
        self.hub.listener_remove(self)
        for sub in self.subs.values():
            self.hub.remove(sub)
        self.subs.clear()
        self.outbox.stop()
        if self._recheck is not None:
            self._recheck.cancel()

    def heartbeat(self, now: int) -> None:
        seqs = {name: sub.last_seq for name, sub in self.subs.items()}
        self.outbox.push(Frame(text({"event": EV_HEARTBEAT, "time": now, "seqs": seqs})))
        self._credential_check(now)
        if self.cod_lease is not None and now - self.last_frame_ms > settings.CANCEL_ON_DISCONNECT_SILENCE_MS:
            self._cod_release()  # it stopped answering heartbeats: a disconnect
            self.outbox.finish(
                error_text(WsErrorCode.SILENT, "Closed: a cancel_on_disconnect connection must answer "
                           "heartbeats (send a ping)."), CloseCode.SILENT,
            )  # fmt: skip

    def _cod_release(self) -> None:
        if self.cod_lease is not None:
            lease_keeper().release(self.cod_lease)
            self.cod_lease = None

    # --- credentials that end while the socket is open

    def _credential_check(self, now: int) -> None:
        """At each heartbeat: has the credential ended? A JWT's expiry needs no query; a key or a
        session is looked up in a thread (one lookup at a time per socket)."""
        credential = self.credential
        if credential is None or (self._recheck is not None and not self._recheck.done()):
            return
        if credential.expires_ms is not None:
            if not ws_credential_valid(credential, now):
                self._credential_ended(credential)
            return
        self._recheck = asyncio.get_running_loop().create_task(self._credential_lookup(credential, now))

    async def _credential_lookup(self, credential: WsCredential, now: int) -> None:
        try:
            valid = await database_sync_to_async(ws_credential_valid)(credential, now)
        except Exception:
            log.warning("marketdata: could not re-check a socket's credential", exc_info=True)
            return
        if not valid and self.credential is credential:
            self._credential_ended(credential)

    def _credential_ended(self, credential: WsCredential) -> None:
        """Drops the private channels and forgets the user; the socket stays open for public
        channels and may authenticate again (op auth). docs/websocket.md "Credentials"."""
        dropped = sorted(name for name in self.subs if name in PRIVATE_KINDS)
        for name in dropped:
            self.hub.remove(self.subs.pop(name))
        self.credential = None
        self.user = None
        self._cod_release()
        what = "token expired" if credential.expires_ms is not None else (
            "API key was revoked" if credential.api_key_id is not None else "session ended"
        )  # fmt: skip
        self.outbox.push(
            Frame(
                error_text(
                    ErrorCode.UNAUTHORIZED,
                    f"Your {what}: private channels dropped. Authenticate again to follow them.",
                    reason="AUTH_CREDENTIAL_ENDED",
                    channels=dropped,
                )
            )
        )

    # --- frames out

    def send(self, frame: dict[str, Any]) -> None:
        self.outbox.push(Frame(text(frame)))

    def error(self, code: int, msg: str, *, request_id: Any = None, **extra: Any) -> None:
        """An error frame; the connection is closed (CloseCode.ABUSE) after MAX_ERRORS of them."""
        self.errors += 1
        if self.errors >= MAX_ERRORS:
            self.outbox.finish(
                error_text(WsErrorCode.TOO_MANY_ERRORS, f"Closed after {MAX_ERRORS} refused frames."),
                CloseCode.ABUSE,
            )
            return
        self.outbox.push(Frame(error_text(code, msg, request_id=request_id, **extra)))

    # --- parsing and ops

    def _parse(self, text_data: str | None, bytes_data: bytes | None) -> dict[str, Any]:
        second = int(time.monotonic())
        if second != self._second:
            self._second, self._ops = second, 0
        self._ops += 1
        if self._ops > MAX_OPS_PER_SECOND:
            raise ProtocolError(
                ErrorCode.TOO_MANY_REQUESTS, f"At most {MAX_OPS_PER_SECOND} messages per second."
            )
        if text_data is None:
            raise ProtocolError(
                ErrorCode.MALFORMED_REQUEST, "Binary frames are not supported; send JSON text."
            )
        if len(text_data) > MAX_FRAME_BYTES or len(text_data.encode()) > MAX_FRAME_BYTES:
            raise ProtocolError(
                WsErrorCode.FRAME_TOO_LARGE, f"Frames are limited to {MAX_FRAME_BYTES} bytes."
            )
        try:
            message = json_loads(text_data, parse_constant=_refuse_constant)
        except ValueError as exc:
            raise ProtocolError(ErrorCode.MALFORMED_REQUEST, f"Not valid JSON: {exc}") from None
        if not isinstance(message, dict):
            raise ProtocolError(ErrorCode.MALFORMED_REQUEST, "A frame must be a JSON object.")
        request_id = message.get("id")
        if request_id is not None and not (
            (isinstance(request_id, int) and not isinstance(request_id, bool)) or
            (isinstance(request_id, str) and len(request_id) <= 64)
        ):  # fmt: skip
            raise ProtocolError(
                ErrorCode.ILLEGAL_PARAMETER, "id: must be an integer or a short string.", field="id"
            )
        return message

    async def _handle(self, message: dict[str, Any]) -> None:
        op = message.get("op")
        entry = _OPS.get(op) if isinstance(op, str) else None
        if entry is None:
            if op is None:
                raise ProtocolError(
                    ErrorCode.MANDATORY_PARAM_MISSING, "op: This field is required.", field="op"
                )
            raise ProtocolError(ErrorCode.ILLEGAL_PARAMETER, f"op: unknown op {str(op)[:32]!r}.", field="op")
        handler, fields = entry
        _check_fields(message, fields)
        await handler(self, message)

    async def _ping(self, message: dict[str, Any]) -> None:
        self.send({"event": EV_PONG, "id": message.get("id"), "time": now_ms()})

    async def _subscribe(self, message: dict[str, Any]) -> None:
        specs = _channels(message)
        if any(s.private for s in specs) and self.user is None:
            raise ProtocolError(
                ErrorCode.UNAUTHORIZED, "Private channels need authentication (token, API key or session).",
                field="channels",
            )  # fmt: skip
        if len(self.subs.keys() | {s.name for s in specs}) > MAX_CHANNELS:
            raise ProtocolError(
                ErrorCode.ILLEGAL_PARAMETER, f"At most {MAX_CHANNELS} channels per connection."
            )
        user_id = self.user.pk if self.user is not None else None
        for spec in specs:  # join the streams first: frames buffer until each snapshot is sent
            sub = self.subs.get(spec.name)
            if sub is None:
                sub = self.subs[spec.name] = Subscription(spec.key(user_id), spec.name, self.outbox)
                self.hub.add(sub)
            else:
                sub.restart()
        try:
            snapshots = await database_sync_to_async(snapshots_read)(specs, self.user)
        except Exception as exc:
            for spec in specs:  # all or nothing: none of these channels stays subscribed
                self.hub.remove(self.subs.pop(spec.name))
            if isinstance(exc, ProtocolError):
                raise
            log.exception("marketdata: reading snapshots failed for %s", [s.name for s in specs])
            raise ProtocolError(
                ErrorCode.UNKNOWN, "Internal error while reading the snapshot; retry."
            ) from None
        self.send({"event": EV_SUBSCRIBED, "id": message.get("id"), "channels": [s.name for s in specs]})
        for spec, seq, snapshot in snapshots:
            self.subs[spec.name].go_live(seq, Frame(snapshot))

    async def _unsubscribe(self, message: dict[str, Any]) -> None:
        specs = _channels(message)
        for spec in specs:
            sub = self.subs.pop(spec.name, None)
            if sub is not None:
                self.hub.remove(sub)
        self.send({"event": EV_UNSUBSCRIBED, "id": message.get("id"), "channels": [s.name for s in specs]})

    async def _auth(self, message: dict[str, Any]) -> None:
        if self.user is not None:
            raise ProtocolError(
                WsErrorCode.ALREADY_AUTHENTICATED, "This connection is already authenticated."
            )
        cancel_on_disconnect = message.get("cancel_on_disconnect", False)
        if not isinstance(cancel_on_disconnect, bool):
            raise ProtocolError(
                ErrorCode.ILLEGAL_PARAMETER,
                "cancel_on_disconnect: true or false.",
                field="cancel_on_disconnect",
            )
        if "token" in message:
            credential = await _authenticate(ws_credential_from_jwt, message["token"])
        elif "api_key" in message:
            credential = await _authenticate(
                lambda m: ws_credential_from_api_key(
                    api_key=m.get("api_key"), timestamp=m.get("timestamp"), signature=m.get("signature"),
                    recv_window=m.get("recv_window"),
                ),
                message,
            )  # fmt: skip
        else:
            raise ProtocolError(
                ErrorCode.MANDATORY_PARAM_MISSING, "auth needs a token or an api_key.", field="token"
            )
        answer = {"event": EV_AUTHENTICATED, "id": message.get("id"), "user": credential.user.get_username()}
        if cancel_on_disconnect:  # all or nothing: unauthenticated unless the engine holds the lease
            try:
                self.cod_lease = await lease_keeper().acquire(credential.user.pk)
            except LeaseRefused as refusal:
                raise ProtocolError(refusal.code, refusal.msg, field="cancel_on_disconnect") from None
            if self.outbox.closed:  # the socket went while the engine answered
                self._cod_release()
                return
            answer["cancel_on_disconnect"] = True
        self.credential, self.user = credential, credential.user
        self.send(answer)


_OPS: dict[str, tuple[Callable[..., Any], frozenset[str]]] = {
    OP_PING: (StreamSession._ping, frozenset({"op", "id"})),
    OP_SUBSCRIBE: (StreamSession._subscribe, frozenset({"op", "id", "channels"})),
    OP_UNSUBSCRIBE: (StreamSession._unsubscribe, frozenset({"op", "id", "channels"})),
    OP_AUTH: (
        StreamSession._auth,
        frozenset(
            {"op", "id", "token", "api_key", "timestamp", "signature", "recv_window", "cancel_on_disconnect"}
        ),
    ),
}
"""op -> (handler, the fields its frame may have)"""


async def session_open(*, hub: Hub, send: Send, scope: dict[str, Any]) -> StreamSession:
    """A session for a new connection: the browser session's user, or a JWT in `?token=`."""
    user = scope.get("user")
    authenticated = user is not None and not isinstance(user, AnonymousUser) and user.is_authenticated
    credential = ws_credential_from_session(user, scope.get("session")) if authenticated else None
    session = StreamSession(hub=hub, send=send, credential=credential)
    token = parse_qs(scope.get("query_string", b"").decode("latin1")).get("token")
    if token and session.user is None:
        try:
            session.credential = await _authenticate(ws_credential_from_jwt, token[0])
            session.user = session.credential.user
        except ProtocolError as error:
            session.error(error.code, error.msg, **error.extra)
    return session


async def _authenticate(check: Callable[[Any], WsCredential], arg: Any) -> WsCredential:
    try:
        return await database_sync_to_async(check)(arg)
    except ApiError as refusal:
        raise ProtocolError(refusal.error_code, refusal.msg, **refusal.extra) from None


def _channels(message: dict[str, Any]) -> list[ChannelSpec]:
    names = message.get("channels")
    if names is None:
        raise ProtocolError(
            ErrorCode.MANDATORY_PARAM_MISSING, "channels: This field is required.", field="channels"
        )
    if not isinstance(names, list) or not 0 < len(names) <= MAX_CHANNELS:
        raise ProtocolError(
            ErrorCode.ILLEGAL_PARAMETER,
            f"channels: a list of 1 to {MAX_CHANNELS} channel names.",
            field="channels",
        )
    specs = {}
    for name in names:
        spec = channel_parse(name)
        specs[spec.name] = spec
    return list(specs.values())


def _check_fields(message: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(message) - allowed)
    if unknown:
        raise ProtocolError(ErrorCode.UNKNOWN_PARAMETER, f"{unknown[0]}: Unknown field.", field=unknown[0])


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")
