"""A demo market: simulated traders that are ordinary HTTP clients of a running QuantX server.

`manage.py simulate` (trading/management/commands/simulate.py) runs a `Simulation`: one market
maker account quoting a ladder of limit orders around a drifting "fair" price on every symbol, and
one taker account crossing the spread with small market orders. They go through the public REST
API with a JWT, exactly like any client (validation, throttles, the engine, market data), so the
simulator works the same against the embedded server and the scaled stack.

- Accounts are created through `POST /api/v1/auth/register/` the first time and logged in with
  `POST /api/v1/auth/token/` afterwards; their random passwords are kept in
  `<QX_VAR_DIR>/simulator-accounts.json`. They are funded through the faucet, and topped up when a
  balance runs low (within the faucet's daily caps).
- Bounded: at most `rate` write requests (place or cancel) per second per symbol, `levels` resting
  quotes per side per symbol, and an optional duration. `stop()` (SIGINT/SIGTERM in the command)
  ends the loop; the maker's quotes are then canceled.
- Prices are Decimals on the instrument's tick, quantities on its lot; the fair price moves by
  whole ticks with a pull back to where it started, so the market wanders but stays in range.
"""

import http.client
import json
import logging
import math
import random
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse

log = logging.getLogger("quantx.simulate")

DEFAULT_PRICES = {"BTC-USD": Decimal("60000"), "ETH-USD": Decimal("3000"), "ETH-BTC": Decimal("0.05")}
"""Where a symbol starts when it has never traded (otherwise: its last trade price)."""

BASE_SIZES = {"BTC": (Decimal("0.001"), Decimal("0.01")), "ETH": (Decimal("0.02"), Decimal("0.2"))}
"""Order sizes (min, max) by base asset; other bases use 10 to 100 times the instrument's min qty."""

FUNDING = {"USD": Decimal("10000"), "BTC": Decimal("1"), "ETH": Decimal("10")}
"""Faucet credit per request; an account is topped up when an asset's free balance drops below a fifth."""

HALF_SPREAD_BPS = Decimal("2")
LEVEL_STEP_BPS = Decimal("3")
MEAN_REVERSION = Decimal("0.02")
VOLATILITY_BPS = 4  # largest fair-price move per requote, in basis points
TAKER_EVERY = (1.0, 3.0)  # seconds between a symbol's taker orders (uniform)
REQUOTE_EVERY = 2.0  # seconds between a symbol's fair-price moves
BPS = Decimal("0.0001")


class SimulationError(Exception):
    """The simulation cannot start (server unreachable, accounts unusable)."""


# ------------------------------------------------------------------------------------ HTTP


@dataclass
class Reply:
    status: int
    body: Any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def __str__(self) -> str:
        return f"HTTP {self.status} {json.dumps(self.body)[:300]}"


class ApiClient:
    """JSON over one keep-alive HTTP connection, with a JWT renewed by logging in again on 401."""

    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        parts = urlparse(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SimulationError(f"--url must be http(s)://host:port, not {base_url!r}")
        self.https = parts.scheme == "https"
        self.host, self.port = parts.hostname, parts.port
        self.timeout = timeout
        self.token: str | None = None
        self.relogin: Callable[[], None] | None = None
        self._conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            cls = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
            self._conn = cls(self.host, self.port, timeout=self.timeout)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def call(self, method: str, path: str, body: Any = None, *, auth: bool = True) -> Reply:
        """One request. OSError/HTTPException propagate (the server is down or restarting)."""
        reply = self._send(method, path, body, auth=auth)
        if reply.status == 401 and auth and self.relogin is not None:
            self.relogin()
            reply = self._send(method, path, body, auth=auth)
        return reply

    def _send(self, method: str, path: str, body: Any, *, auth: bool) -> Reply:
        headers = {"Accept": "application/json", "User-Agent": "quantx-simulate"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if auth and self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(method, path, payload, headers)
                response = conn.getresponse()
                raw = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()  # a keep-alive connection the server closed: once more on a new one
                if attempt == 2:
                    raise
            except (http.client.HTTPException, OSError):
                self.close()
                raise
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = raw.decode(errors="replace")
        return Reply(response.status, data)


# ------------------------------------------------------------------------------------ accounts


class Account:
    """A simulated trader's login: registered once, then logged in with the stored password."""

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.username = username
        self.password = password
        self.api = ApiClient(base_url)
        self.api.relogin = self.login

    def login(self) -> bool:
        reply = self.api.call(
            "POST", "/api/v1/auth/token/", {"username": self.username, "password": self.password}, auth=False
        )
        if reply.ok:
            self.api.token = reply.body["access"]
            return True
        if reply.status == 429:
            raise SimulationError(f"login of {self.username} throttled: {reply}")
        return False

    def ensure(self) -> None:
        """Logs in, registering the account first if it does not exist yet."""
        if self.login():
            return
        reply = self.api.call(
            "POST",
            "/api/v1/auth/register/",
            {
                "username": self.username,
                "password": self.password,
                "email": f"{self.username}@sim.quantx.test",
            },
            auth=False,
        )
        if not reply.ok:
            raise SimulationError(
                f"cannot log in or register {self.username!r} ({reply}). If the account exists with "
                "another password, pick new names with --prefix."
            )
        if not self.login():
            raise SimulationError(f"registered {self.username!r} but cannot log in")

    def balances(self) -> dict[str, Decimal]:
        reply = self.api.call("GET", "/api/v1/account/")
        if not reply.ok:
            return {}
        return {b["asset"]: Decimal(b["free"]) for b in reply.body["balances"]}

    def top_up(self, assets: set[str]) -> None:
        """Faucet credit for each asset whose free balance is below a fifth of FUNDING (refusals,
        such as the daily cap, are logged and ignored)."""
        free = self.balances()
        for asset in sorted(assets):
            amount = FUNDING.get(asset)
            if amount is None or free.get(asset, Decimal(0)) >= amount / 5:
                continue
            reply = self.api.call("POST", "/api/v1/faucet/", {"asset": asset, "amount": str(amount)})
            if reply.ok:
                log.debug("%s: faucet +%s %s", self.username, amount, asset)
            else:
                log.debug("%s: faucet refused %s: %s", self.username, asset, reply.body)


def credentials_load(path: Path, usernames: list[str]) -> dict[str, str]:
    """The stored password of each simulated account, creating (and storing) missing ones."""
    stored: dict[str, str] = {}
    if path.exists():
        stored = json.loads(path.read_text())
    missing = [u for u in usernames if u not in stored]
    if missing:
        stored.update({u: secrets.token_urlsafe(18) for u in missing})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(stored, indent=1))
        path.chmod(0o600)
    return {u: stored[u] for u in usernames}


# ------------------------------------------------------------------------------------ prices


def to_step(value: Decimal, step: Decimal, *, up: bool = False) -> Decimal:
    """`value` on a multiple of `step`, rounded down (or up)."""
    return (value / step).to_integral_value(rounding=ROUND_CEILING if up else ROUND_FLOOR) * step


@dataclass
class Market:
    symbol: str
    base: str
    quote: str
    tick: Decimal
    lot: Decimal
    min_qty: Decimal
    max_qty: Decimal
    min_notional: Decimal
    fair: Decimal
    anchor: Decimal

    @classmethod
    def from_api(cls, row: dict[str, Any], start: Decimal) -> "Market":
        tick = Decimal(row["tick_size"]).normalize()
        start = max(to_step(start, tick), tick)
        return cls(
            symbol=row["symbol"], base=row["base"], quote=row["quote"], tick=tick, lot=Decimal(row["lot_size"]).normalize(),
            min_qty=Decimal(row["min_qty"]), max_qty=Decimal(row["max_qty"]),
            min_notional=Decimal(row["min_notional"]), fair=start, anchor=start,
        )  # fmt: skip

    def drift(self, rng: random.Random) -> None:
        """A random step of whole ticks (up to VOLATILITY_BPS), pulled back toward the anchor."""
        span = max(1, int(self.fair * VOLATILITY_BPS * BPS / self.tick))
        move = self.tick * rng.randint(-span, span)
        pull = to_step((self.anchor - self.fair) * MEAN_REVERSION, self.tick)
        self.fair = max(self.fair + move + pull, self.tick * 10)

    def ladder(self, levels: int) -> tuple[list[Decimal], list[Decimal]]:
        """Bid and ask prices of the maker's quotes, best first; never crossed.

        Levels sit on a fixed grid (multiples of the level step), so a small move of the fair price
        changes only the levels at the edges and the book does not flicker.
        """
        # Sized from the anchor, not the moving fair price: a grid that changed with every move
        # would replace every quote each time.
        step = to_step(max(self.tick, self.anchor * LEVEL_STEP_BPS * BPS), self.tick, up=True)
        half = max(self.tick, self.anchor * HALF_SPREAD_BPS * BPS)
        best_bid = to_step(self.fair - half, step)
        best_ask = to_step(self.fair + half, step, up=True)
        if best_ask <= best_bid:
            best_ask = best_bid + step
        bids = [best_bid - i * step for i in range(levels)]
        asks = [best_ask + i * step for i in range(levels)]
        return [p for p in bids if p > 0], asks

    def size(self, rng: random.Random, price: Decimal) -> Decimal:
        """A random quantity on the lot, within the instrument's limits and above min notional."""
        low, high = BASE_SIZES.get(self.base, (self.min_qty * 10, self.min_qty * 100))
        lots = rng.randint(max(1, int(low / self.lot)), max(1, int(high / self.lot)))
        qty = min(max(self.lot * lots, self.min_qty), self.max_qty)
        while price * qty < self.min_notional and qty + self.lot <= self.max_qty:
            qty = to_step(self.min_notional / price, self.lot, up=True)
        return qty


# ------------------------------------------------------------------------------------ traders


@dataclass
class Stats:
    placed: int = 0
    canceled: int = 0
    taker_orders: int = 0
    filled: int = 0
    refused: int = 0
    errors: int = 0

    def line(self) -> str:
        return (f"placed {self.placed}, canceled {self.canceled}, taker orders {self.taker_orders} "
                f"({self.filled} filled), refused {self.refused}, errors {self.errors}")  # fmt: skip


@dataclass
class SymbolAgent:
    """The maker's quotes and the taker's timing on one symbol; `next_op` yields one write at a time."""

    market: Market
    maker: Account
    taker: Account
    levels: int
    rng: random.Random
    stats: Stats
    pending: list[tuple[str, Any]] = field(default_factory=list)
    next_requote: float = 0.0
    next_take: float = 0.0

    def plan(self) -> None:
        """Moves the fair price and queues the cancels and placements that bring the maker's quotes
        to the new ladder: crossing or stale quotes are canceled first, missing levels placed."""
        self.market.drift(self.rng)
        bids, asks = self.market.ladder(self.levels)
        reply = self.maker.api.call(
            "GET",
            "/api/v1/orders/?" + urlencode({"symbol": self.market.symbol, "status": "open", "limit": 200}),
        )
        if not reply.ok:
            self.stats.errors += 1
            return
        resting: dict[tuple[str, Decimal], list[int]] = {}
        for order in reply.body["results"]:
            resting.setdefault((order["side"], Decimal(order["price"])), []).append(order["id"])
        targets = {("BUY", p) for p in bids} | {("SELL", p) for p in asks}
        cancels: list[tuple[str, Any]] = []
        for key, ids in resting.items():
            extra = ids if key not in targets else ids[1:]
            cancels += [("cancel", order_id) for order_id in extra]
        places = [
            ("place", key)
            for key in sorted(targets - resting.keys(), key=lambda k: abs(k[1] - self.market.fair))
        ]
        self.pending = cancels + places

    def next_op(self, now: float) -> tuple[str, Any] | None:
        if now >= self.next_take:
            self.next_take = now + self.rng.uniform(*TAKER_EVERY)
            return ("take", None)
        if not self.pending and now >= self.next_requote:
            self.next_requote = now + REQUOTE_EVERY
            self.plan()
        return self.pending.pop(0) if self.pending else None

    def run(self, op: tuple[str, Any]) -> None:
        kind, arg = op
        if kind == "cancel":
            reply = self.maker.api.call("DELETE", f"/api/v1/orders/{arg}/")
            self._count(reply, "canceled")
        elif kind == "place":
            side, price = arg
            body = {"symbol": self.market.symbol, "side": side, "type": "LIMIT", "price": f"{price:f}",
                    "qty": f"{self.market.size(self.rng, price):f}", "stp": "EXPIRE_TAKER"}  # fmt: skip
            self._count(self.maker.api.call("POST", "/api/v1/orders/", body), "placed")
        else:
            self.take()

    def take(self) -> None:
        """A small MARKET order on a random side (the other side if funds are short)."""
        side = self.rng.choice(("BUY", "SELL"))
        m = self.market
        qty = max(
            to_step(m.size(self.rng, m.fair) / 3, m.lot),
            m.min_qty,
            to_step(m.min_notional / m.fair, m.lot, up=True),
        )
        for attempt in (side, "SELL" if side == "BUY" else "BUY"):
            body = {"symbol": self.market.symbol, "side": attempt, "type": "MARKET", "qty": f"{qty:f}"}
            reply = self.taker.api.call("POST", "/api/v1/orders/", body)
            if reply.ok:
                self.stats.taker_orders += 1
                self.stats.filled += reply.body.get("status") == "FILLED"
                return
            if reply.body and reply.body.get("reason") != "RISK_INSUFFICIENT_FUNDS":
                break
        self._count(reply, "taker_orders")

    def _count(self, reply: Reply, counter: str) -> None:
        if reply.ok:
            setattr(self.stats, counter, getattr(self.stats, counter) + 1)
        elif reply.status >= 500:
            self.stats.errors += 1
            log.warning("%s: %s", self.market.symbol, reply)
        else:
            self.stats.refused += 1  # e.g. a quote that filled meanwhile: normal in a live market
            log.debug("%s: refused %s", self.market.symbol, reply)


# ------------------------------------------------------------------------------------ the run


@dataclass
class Settings:
    url: str = "http://127.0.0.1:8000"
    symbols: list[str] | None = None
    rate: float = 3.0
    levels: int = 8
    duration: float = 0.0
    prefix: str = "sim"
    seed: int | None = None
    wait: float = 60.0
    keep_orders: bool = False
    quiet: bool = False  # no running figures (`make run` keeps the terminal for the server)
    credentials: Path = Path("var/simulator-accounts.json")
    report_every: float = 15.0


class Simulation:
    def __init__(self, settings: Settings, *, out: Callable[[str], None] = print) -> None:
        self.s = settings
        self.out = out
        self.rng = random.Random(settings.seed)
        self.stop_event = threading.Event()
        self.stats = Stats()
        self.agents: list[SymbolAgent] = []
        self.maker: Account | None = None
        self.taker: Account | None = None

    def stop(self) -> None:
        self.stop_event.set()

    # --- setup

    def wait_for_server(self) -> list[dict[str, Any]]:
        """The instrument list, once the server answers (it may still be starting)."""
        probe = ApiClient(self.s.url, timeout=3.0)
        deadline = time.monotonic() + self.s.wait
        while True:
            try:
                reply = probe.call("GET", "/api/v1/instruments/", auth=False)
                if reply.ok:
                    return list(reply.body)
            except (OSError, http.client.HTTPException):
                pass
            finally:
                probe.close()
            if time.monotonic() >= deadline or self.stop_event.wait(0.5):
                raise SimulationError(f"no QuantX server answered at {self.s.url} within {self.s.wait:.0f} s")

    def setup(self) -> None:
        instruments = self.wait_for_server()
        wanted = [i for i in instruments if i["status"] == "TRADING" and
                  (self.s.symbols is None or i["symbol"] in self.s.symbols)]  # fmt: skip
        if not wanted:
            raise SimulationError("no TRADING instrument to simulate (run `manage.py seed_demo`)")
        names = [f"{self.s.prefix}-maker", f"{self.s.prefix}-taker"]
        passwords = credentials_load(self.s.credentials, names)
        self.maker, self.taker = (Account(self.s.url, n, passwords[n]) for n in names)
        for account in (self.maker, self.taker):
            account.ensure()
            account.top_up({a for i in wanted for a in (i["base"], i["quote"])})
        tickers = ApiClient(self.s.url).call("GET", "/api/v1/tickers/", auth=False)
        last = {t["symbol"]: t.get("last") for t in (tickers.body if tickers.ok else [])}
        for row in wanted:
            start = last.get(row["symbol"]) or DEFAULT_PRICES.get(row["symbol"])
            if start is None:
                self.out(f"{row['symbol']}: skipped (never traded and no default price)")
                continue
            market = Market.from_api(row, Decimal(start))
            self.agents.append(
                SymbolAgent(market, self.maker, self.taker, self.s.levels, self.rng, self.stats)
            )
        self.out(
            f"simulate: {len(self.agents)} symbols ({', '.join(a.market.symbol for a in self.agents)}) at "
            f"{self.s.url}, accounts {names[0]} and {names[1]}, at most {self.s.rate:g} orders/s per symbol"
        )

    # --- the loop

    def run(self) -> Stats:
        """Sets up, then trades until stopped or `duration` is over; cancels the quotes at the end."""
        self.setup()
        started = time.monotonic()
        end = started + self.s.duration if self.s.duration > 0 else math.inf
        interval = 1.0 / self.s.rate if self.s.rate > 0 else 1.0
        due = {id(a): started for a in self.agents}
        next_report = started + self.s.report_every
        next_top_up = started + 60
        failures = 0
        while not self.stop_event.is_set() and time.monotonic() < end:
            now = time.monotonic()
            agent = min(self.agents, key=lambda a: due[id(a)])
            if due[id(agent)] > now:
                self.stop_event.wait(min(due[id(agent)], end) - now)
                continue
            try:
                op = agent.next_op(now)
                if op is not None:
                    agent.run(op)
                failures = 0
            except (OSError, http.client.HTTPException) as exc:
                failures += 1
                self.stats.errors += 1
                if failures in (1, 10) or failures % 100 == 0:
                    self.out(f"simulate: server unreachable ({exc}); retrying")
                self.stop_event.wait(min(5.0, 0.2 * failures))
            due[id(agent)] = time.monotonic() + interval
            if now >= next_report and not self.s.quiet:
                next_report = now + self.s.report_every
                prices = ", ".join(f"{a.market.symbol} {a.market.fair:f}" for a in self.agents)
                self.out(f"simulate: {self.stats.line()} | fair {prices}")
            if now >= next_top_up and self.maker and self.taker:
                next_top_up = now + 60
                assets = {a for ag in self.agents for a in (ag.market.base, ag.market.quote)}
                for account in (self.maker, self.taker):
                    self._quietly(lambda acc=account, wanted=assets: acc.top_up(wanted))
        self.shutdown()
        return self.stats

    def shutdown(self) -> None:
        """Cancels the maker's quotes (unless --keep-orders). If the server is already gone (it was
        stopped together with the simulator), they stay in the book and the next run takes them over."""
        if self.s.keep_orders or self.maker is None:
            return
        maker = self.maker
        done = 0
        for agent in self.agents:
            path = f"/api/v1/orders/?symbol={agent.market.symbol}"
            done += bool(self._quietly(lambda p=path: maker.api.call("DELETE", p).ok))
        if done == len(self.agents):
            self.out(f"simulate: stopped; canceled the maker's quotes. {self.stats.line()}")
        else:
            self.out(
                f"simulate: stopped; the server did not answer, the maker's quotes stay in the book. {self.stats.line()}"
            )

    def _quietly(self, action: Callable[[], Any]) -> Any:
        try:
            return action()
        except (OSError, http.client.HTTPException, SimulationError) as exc:
            log.debug("simulate: %s", exc)
            return None
