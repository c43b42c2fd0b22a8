"""`manage.py simulate`: the demo market's traders, as HTTP clients of a live server."""

import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.request
from decimal import Decimal

import pytest

from tests.browser.conftest import BASE_DIR
from trading.simulation import Market, credentials_load


def market(**overrides) -> Market:
    fields = {"symbol": "BTC-USD", "base": "BTC", "quote": "USD", "tick": Decimal("0.01"), "lot": Decimal("0.00001"),
              "min_qty": Decimal("0.00001"), "max_qty": Decimal("100"), "min_notional": Decimal("1"),
              "fair": Decimal("60000"), "anchor": Decimal("60000")}  # fmt: skip
    fields.update(overrides)
    return Market(**fields)


@pytest.mark.parametrize("fair", ["60000", "0.05", "3000.37", "0.00002"])
def test_the_maker_ladder_is_on_the_tick_and_never_crossed(fair):
    tick = Decimal("0.00001") if Decimal(fair) < 1 else Decimal("0.01")
    bids, asks = market(fair=Decimal(fair), anchor=Decimal(fair), tick=tick).ladder(8)
    assert bids and asks and max(bids) < min(asks)
    assert all(p % tick == 0 and p > 0 for p in bids + asks)
    assert bids == sorted(bids, reverse=True) and asks == sorted(asks)


def test_a_small_move_of_the_fair_price_keeps_most_quotes():
    m = market()
    before = m.ladder(8)
    for fair in ("60000.37", "60004.10", "59990.02", "60011.99"):
        m.fair = Decimal(fair)
        after = m.ladder(8)
        kept = len(set(before[0]) & set(after[0])) + len(set(before[1]) & set(after[1]))
        assert kept >= 14, (fair, before, after)


def test_order_sizes_are_on_the_lot_and_above_the_minimum_notional():
    rng = random.Random(7)
    m = market(min_notional=Decimal("100"))
    for _ in range(200):
        qty = m.size(rng, Decimal("60000"))
        assert qty % m.lot == 0 and m.min_qty <= qty <= m.max_qty and qty * 60000 >= 100


def test_the_fair_price_wanders_but_stays_near_where_it_started():
    rng = random.Random(11)
    m = market()
    seen = []
    for _ in range(5000):
        m.drift(rng)
        seen.append(m.fair)
        assert m.fair % m.tick == 0
    assert len(set(seen)) > 100
    assert Decimal("54000") < min(seen) and max(seen) < Decimal("66000")


def test_account_passwords_are_created_once_and_kept_private(tmp_path):
    path = tmp_path / "sim.json"
    first = credentials_load(path, ["sim-maker", "sim-taker"])
    assert credentials_load(path, ["sim-maker", "sim-taker"]) == first
    assert first["sim-maker"] != first["sim-taker"]
    assert path.stat().st_mode & 0o777 == 0o600


def _get(url: str):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


@pytest.mark.integration
def test_simulate_trades_through_the_api_and_cleans_up_on_sigterm(quantx_server):
    """A bounded run: trades appear on ETH-BTC; SIGTERM stops it, and the maker's quotes are canceled."""
    env = {**quantx_server.env, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "manage.py", "simulate", "--url", quantx_server.url, "--symbols", "ETH-BTC",
               "--rate", "20", "--seed", "5", "--prefix", "simtest", "--duration", "60"]  # fmt: skip
    process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        trades: list = []
        while time.monotonic() < deadline and len(trades) < 3:
            time.sleep(0.5)
            trades = _get(f"{quantx_server.url}/api/v1/markets/ETH-BTC/trades/?limit=10")
        assert len(trades) >= 3, "no trades from the simulator"
        depth = _get(f"{quantx_server.url}/api/v1/markets/ETH-BTC/depth/?limit=20")
        assert depth["bids"] and depth["asks"]
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 0, output
    assert "simulate: stopped; canceled the maker's quotes." in output
    depth = _get(f"{quantx_server.url}/api/v1/markets/ETH-BTC/depth/?limit=20")
    assert depth["bids"] == [] and depth["asks"] == []
