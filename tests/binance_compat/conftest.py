"""A live QuantX server for the Binance-compatible facade, driven by the real client libraries.

`live` is the embedded mode as `make run` serves it (tests.browser.conftest.LiveServer: its own
SQLite database and var dir, daphne on a free port). `Account` registers a user over HTTP, funds it
with the faucet and creates an API key (READ + TRADE) the way a user would; the libraries then get
only their base URLs changed (docs/binance-compat.md). When the server stops, `verify_ledger` must
find money conserved after everything the facade did.
"""

import asyncio
import json
import subprocess
import sys
import urllib.request
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.browser.conftest import BASE_DIR, LiveServer

PASSWORD = "Binance-compat-pw-3817!"


def http_json(url: str, body: Any = None, *, token: str | None = None, method: str | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method or ("POST" if data else "GET"))
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=15) as response:
        return json.loads(response.read() or b"null")


@dataclass
class Account:
    username: str
    token: str
    key: str
    secret: str


def account_create(
    base: str, username: str, funds: dict[str, str], scopes: tuple[str, ...] = ("READ", "TRADE"),
    *, token: str | None = None,
) -> Account:  # fmt: skip
    """A user as a bot developer makes one: register, log in, fund (faucet), create an API key.
    With `token`, the user exists already (logged in): only the key is created."""
    if token is None:
        credentials = {"username": username, "password": PASSWORD}
        http_json(f"{base}/api/v1/auth/register/", credentials)
        token = http_json(f"{base}/api/v1/auth/token/", credentials)["access"]
        for asset, amount in funds.items():
            http_json(f"{base}/api/v1/faucet/", {"asset": asset, "amount": amount}, token=token)
    created = http_json(f"{base}/api/v1/api-keys/", {"label": "bot", "scopes": list(scopes)}, token=token)
    return Account(username, token, created["key"], created["secret"])


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path_factory.mktemp("binance-live"))
    server.env["QX_THROTTLE_API_KEY_CREATE"] = "1000/hour"
    try:
        server.start()
        yield server
        ledger = subprocess.run([sys.executable, "manage.py", "verify_ledger"], cwd=BASE_DIR, env=server.env,
                                capture_output=True, text=True)  # fmt: skip
        assert ledger.returncode == 0, (
            f"verify_ledger after the facade tests:\n{ledger.stdout}{ledger.stderr}"
        )
    finally:
        server.stop()


@pytest.fixture(scope="session")
def maker(live: LiveServer) -> Account:
    return account_create(live.url, "bn-maker", {"USD": "10000", "BTC": "1"})


@pytest.fixture(scope="session")
def taker(live: LiveServer) -> Account:
    return account_create(live.url, "bn-taker", {"USD": "10000", "BTC": "1"})


def ccxt_binance(
    base: str, account: Account | None = None, *, pro: bool = False, ws_base: str | None = None
) -> Any:
    """ccxt's binance (or ccxt.pro's), unchanged but for its URLs: every https://api.binance.com
    URL and the spot WebSocket URLs point at `base`. `fetchCurrencies` and `fetchMargins` are off:
    they read /sapi/ endpoints (wallet, margin) that a spot exchange does not have."""
    import ccxt
    import ccxt.pro

    config: dict[str, Any] = {
        "options": {"fetchCurrencies": False, "fetchMarkets": {"types": ["spot"]}, "fetchMargins": False},
    }
    if account is not None:
        config.update(apiKey=account.key, secret=account.secret)
    exchange = (ccxt.pro.binance if pro else ccxt.binance)(config)
    api = exchange.urls["api"]
    for name, url in list(api.items()):
        if isinstance(url, str) and url.startswith("https://api.binance.com"):
            api[name] = url.replace("https://api.binance.com", base)
    ws_base = (ws_base or base).replace("http://", "ws://")
    if "ws" in api:
        api["ws"]["spot"] = f"{ws_base}/ws"
        api["ws"]["ws-api"]["spot"] = f"{ws_base}/ws-api/v3"
    return exchange


def api_v1(base: str, account: Account, path: str) -> Any:
    return http_json(f"{base}/api/v1/{path}", token=account.token)


def python_binance_client(base: str, account: Account | None = None) -> Any:
    """python-binance's `Client`, unchanged but for its URLs (class attributes it reads at start)."""
    from binance.client import Client

    class QuantXClient(Client):
        API_URL = f"{base}/api"
        WS_API_URL = f"{base.replace('http://', 'ws://')}/ws-api/v3"

    return QuantXClient(account.key if account else None, account.secret if account else None, ping=False)


async def python_binance_async(base: str, account: Account) -> tuple[Any, Any]:
    """python-binance's `AsyncClient` and `BinanceSocketManager`, unchanged but for their URLs."""
    from binance import AsyncClient, BinanceSocketManager

    ws_base = base.replace("http://", "ws://")

    class QuantXAsyncClient(AsyncClient):
        API_URL = f"{base}/api"
        WS_API_URL = f"{ws_base}/ws-api/v3"

    class QuantXSocketManager(BinanceSocketManager):
        STREAM_URL = f"{ws_base}/"

    client = await QuantXAsyncClient.create(account.key, account.secret)
    return client, QuantXSocketManager(client)


def binance_sdk(base: str, account: Account | None = None) -> Any:
    """Binance's official SDK (binance-sdk-spot), unchanged but for its base URLs."""
    from binance_sdk_spot.spot import ConfigurationRestAPI, ConfigurationWebSocketStreams, Spot

    rest = ConfigurationRestAPI(
        api_key=account.key if account else "", api_secret=account.secret if account else "", base_path=base
    )
    streams = ConfigurationWebSocketStreams(stream_url=base.replace("http://", "ws://"))
    return Spot(config_rest_api=rest, config_ws_streams=streams)


class Follow:
    """Calls a ccxt.pro `watch_*` in a loop (ccxt answers each call with the NEXT update), keeping
    the latest answer, so a test can act first and then wait for the state it expects."""

    def __init__(self, watch: Callable[[], Awaitable[Any]]) -> None:
        self.watch = watch
        self.latest: Any = None
        self.changed = asyncio.Event()
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            self.latest = await self.watch()
            self.changed.set()

    async def until(self, predicate: Callable[[Any], bool], timeout: float = 10.0) -> Any:
        async def wait() -> Any:
            while self.latest is None or not predicate(self.latest):
                if self.task.done():
                    self.task.result()  # raises what the watch raised
                self.changed.clear()
                await asyncio.wait([asyncio.create_task(self.changed.wait()), self.task],
                                   return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
            return self.latest

        return await asyncio.wait_for(wait(), timeout)

    def stop(self) -> None:
        self.task.cancel()


async def ws_ready(ws: Any) -> None:
    """Returns once the server has finished opening `ws` (its streams are live): the answer to a
    LIST_SUBSCRIPTIONS can only come after the connection's opening work (Channels handles one
    message of a consumer at a time)."""
    await ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": "ready"}))
    while json.loads(await asyncio.wait_for(ws.recv(), 10)).get("id") != "ready":
        pass
