"""Names and limits of the market-data streams: one module, so the engine and the web agree (STYLE 8).

Three audiences share these names:
- clients of the WebSocket protocol (docs/websocket.md): ops, events, channel names, error and
  close codes;
- the engine's publisher and each web process's hub, which talk over the channel layer: the fan-out
  group, the batch message type and the routing keys of frames;
- the Django cache, where the engine keeps the latest depth snapshot and a short window of updates
  per symbol (cache keys).
"""

from enum import IntEnum
from typing import Final

# --------------------------------------------------------------------------- channel layer

FANOUT_GROUP: Final = "marketdata.fanout"
"""Every web process's hub joins this group with one channel of its own. The engine sends ONE
message per committed batch to it (not one per subscriber); each hub serializes nothing and writes
the ready-made frames to its local sockets."""

BATCH_MESSAGE_TYPE: Final = "marketdata.batch"
"""`{"type": BATCH_MESSAGE_TYPE, "frames": [[routing_key, seq, text], ...]}`: `text` is the exact
JSON frame a subscriber receives, serialized once by the engine."""

GROUP_REJOIN_SECONDS: Final = 5.0
"""A hub re-adds its channel to FANOUT_GROUP this often: group membership expires in channels_redis
(a day) and is lost entirely when Redis restarts."""

# --------------------------------------------------------------------------- WebSocket endpoint

WS_PATH: Final = "ws/v1/"

# Client ops
OP_SUBSCRIBE: Final = "subscribe"
OP_UNSUBSCRIBE: Final = "unsubscribe"
OP_PING: Final = "ping"
OP_AUTH: Final = "auth"
OPS: Final = frozenset({OP_SUBSCRIBE, OP_UNSUBSCRIBE, OP_PING, OP_AUTH})

# Server events (the "event" of every server frame)
EV_SUBSCRIBED: Final = "subscribed"
EV_UNSUBSCRIBED: Final = "unsubscribed"
EV_SNAPSHOT: Final = "snapshot"
EV_UPDATE: Final = "update"
EV_HEARTBEAT: Final = "heartbeat"
EV_PONG: Final = "pong"
EV_AUTHENTICATED: Final = "authenticated"
EV_ERROR: Final = "error"

# Channel kinds: public ones are "<kind>:<SYMBOL>" ("candles:<SYMBOL>:<interval>"), private ones bare.
DEPTH: Final = "depth"
TRADES: Final = "trades"
TICKER: Final = "ticker"
CANDLES: Final = "candles"
ORDERS: Final = "orders"
BALANCES: Final = "balances"
BOOK: Final = "book"
"""Best bid/ask and sizes, sent when the top of the book changes (marketdata.book_ticker)."""
WITHDRAWALS: Final = "withdrawals"
PUBLIC_KINDS: Final = frozenset({DEPTH, TRADES, TICKER, CANDLES, BOOK})
PRIVATE_KINDS: Final = frozenset({ORDERS, BALANCES, WITHDRAWALS})

INTERVALS: Final = {"1m": 60, "5m": 300, "15m": 900, "1h": 3600, "4h": 14_400, "1d": 86_400}
"""Candle intervals in seconds; each divides a UTC day, so periods align to UTC midnight."""


def public_key(kind: str, symbol: str, interval: str | None = None) -> str:
    """Routing key (and client channel name) of a public stream: "depth:BTC-USD", "candles:BTC-USD:1m"."""
    return f"{kind}:{symbol}:{interval}" if interval else f"{kind}:{symbol}"


def private_key(kind: str, user_id: int) -> str:
    """Routing key of a user's private stream ("orders#42"); clients just say "orders"."""
    return f"{kind}#{user_id}"


# Limits
MAX_FRAME_BYTES: Final = 4096
"""A client frame longer than this is refused (error, connection kept)."""
MAX_MESSAGE_BYTES: Final = 65_536
"""A client message longer than this is not read at all: the server closes the socket with
CloseCode.MESSAGE_TOO_BIG (1009), under daphne (marketdata.transport)."""
MAX_CHANNELS: Final = 50
"""Subscriptions per connection."""
MAX_ERRORS: Final = 20
"""Refused client frames per connection before it is closed with CLOSE_ABUSE."""
MAX_OPS_PER_SECOND: Final = 20
"""Client frames per second per connection; more are refused with TOO_MANY_REQUESTS."""
SEND_QUEUE_MAX: Final = 2000
"""Frames waiting for one socket. A socket this far behind is told TOO_SLOW and closed."""
HEARTBEAT_SECONDS: Final = 5.0
SNAPSHOT_TRADES: Final = 50
"""Recent trades in a `trades:` snapshot."""
SNAPSHOT_CANDLES: Final = 100
"""Recent candles in a `candles:` snapshot."""
CHECKSUM_LEVELS: Final = 10
"""Levels per side covered by a depth checksum."""


class CloseCode(IntEnum):
    """WebSocket close codes the server uses (4000-4999 are the application's)."""

    MESSAGE_TOO_BIG = 1009
    """RFC 6455: a client message over MAX_MESSAGE_BYTES."""
    TOO_SLOW = 4008
    ABUSE = 4009
    SILENT = 4010
    """A cancel-on-disconnect socket that sent nothing for CANCEL_ON_DISCONNECT_SILENCE_MS."""


class WsErrorCode(IntEnum):
    """Error codes only the WebSocket protocol has; every other error reuses the REST catalogue
    (quantx_site.errors.ErrorCode: -1101 malformed JSON, -1100 bad value, -1121 unknown symbol...)."""

    FRAME_TOO_LARGE = -1301
    TOO_SLOW = -1302
    TOO_MANY_ERRORS = -1303
    ALREADY_AUTHENTICATED = -1304
    SILENT = -1305


# --------------------------------------------------------------------------- cache (engine -> readers)

SNAPSHOT_LEVELS: Final = 1000
"""Levels per side the engine keeps in the cached depth snapshot (REST depth `limit` maximum)."""
UPDATES_WINDOW: Final = 500
"""Depth/trade updates per symbol kept for `updates/?since_seq=` catch-up."""
CACHE_TTL_SECONDS: Final = 24 * 3600
"""Snapshots of a symbol idle longer than this expire; readers then rebuild depth from the database."""


def snapshot_cache_key(symbol: str) -> str:
    return f"md:depth:{symbol}"


def window_cache_key(symbol: str) -> str:
    return f"md:window:{symbol}"


def update_cache_key(symbol: str, seq: int) -> str:
    return f"md:update:{symbol}:{seq}"
