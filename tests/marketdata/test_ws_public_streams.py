"""Public streams over the WebSocket: a snapshot with its seq, then every update chained by prev_seq."""

import pytest

from marketdata.books import checksum
from tests.marketdata.helpers import acancel, amarket, aplace

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]


def levels(pairs):
    return [tuple(p) for p in pairs]


async def test_subscribing_answers_a_depth_snapshot_with_its_seq(ws):
    _, alice, bob = await amarket()
    await aplace(alice, "SELL", "50000", "0.5")
    await aplace(bob, "BUY", "49000", "0.25")
    client = await ws()
    snap = (await client.subscribe("depth:BTC-USD"))["depth:BTC-USD"]
    assert snap["seq"] == 2
    assert snap["data"]["bids"] == [["49000", "0.25"]]
    assert snap["data"]["asks"] == [["50000", "0.5"]]
    assert snap["data"]["checksum"] == checksum([("49000", "0.25")], [("50000", "0.5")])


async def test_depth_updates_follow_the_snapshot_without_gap_and_carry_absolute_levels(ws):
    _, alice, bob = await amarket()
    resting = await aplace(alice, "SELL", "50000", "0.5")
    client = await ws()
    snap = await client.subscribe("depth:BTC-USD", "trades:BTC-USD")
    await aplace(bob, "BUY", "50000", "0.2")  # trades 0.2, leaves 0.3
    depth = await client.recv_until(lambda f: f["event"] == "update" and f["channel"] == "depth:BTC-USD")
    assert depth["prev_seq"] == snap["depth:BTC-USD"]["seq"]
    assert depth["seq"] == depth["prev_seq"] + 1
    assert depth["data"]["asks"] == [["50000", "0.3"]]
    assert depth["data"]["checksum"] == checksum([], [("50000", "0.3")])
    trades = await client.recv_until(lambda f: f["event"] == "update" and f["channel"] == "trades:BTC-USD")
    [trade] = trades["data"]
    assert (trade["price"], trade["qty"], trade["side"], trade["seq"]) == (
        "50000",
        "0.2",
        "BUY",
        depth["seq"],
    )
    assert trade["prev_seq"] == snap["trades:BTC-USD"]["seq"] == 0
    await acancel(alice, resting["order"]["id"])
    gone = await client.recv_until(lambda f: f["event"] == "update" and f["channel"] == "depth:BTC-USD")
    assert (gone["prev_seq"], gone["data"]["asks"]) == (depth["seq"], [["50000", "0"]])
    assert gone["data"]["checksum"] == 0


async def test_ticker_and_candles_update_when_a_trade_happens(ws):
    _, alice, bob = await amarket()
    client = await ws()
    snaps = await client.subscribe("ticker:BTC-USD", "candles:BTC-USD:1m")
    assert snaps["ticker:BTC-USD"]["data"]["last"] is None
    assert snaps["candles:BTC-USD:1m"]["data"] == []
    await aplace(alice, "SELL", "50000", "0.5")
    await aplace(bob, "BUY", "50000", "0.2")
    seen = []
    candle = await client.recv_until(lambda f: seen.append(f) or f["channel"] == "candles:BTC-USD:1m")
    assert candle["data"]["close"] == "50000"
    assert candle["data"]["volume"] == "0.2"
    ticker = [f for f in seen if f["channel"] == "ticker:BTC-USD"][-1]
    assert ticker["seq"] == candle["seq"]
    assert (ticker["data"]["last"], ticker["data"]["volume"], ticker["data"]["best_ask"]) == (
        "50000",
        "0.2",
        "50000",
    )


async def test_a_second_subscriber_gets_the_same_stream(ws):
    _, alice, _ = await amarket()
    first, second = await ws(), await ws()
    await first.subscribe("depth:BTC-USD")
    await second.subscribe("depth:BTC-USD")
    await aplace(alice, "SELL", "50000", "0.5")
    a = await first.recv_until(lambda f: f["event"] == "update")
    b = await second.recv_until(lambda f: f["event"] == "update")
    assert a == b


async def test_unsubscribed_channels_stop_receiving(ws):
    _, alice, _ = await amarket()
    client = await ws()
    await client.subscribe("depth:BTC-USD")
    ack = await client.request({"op": "unsubscribe", "channels": ["depth:BTC-USD"], "id": 9})
    assert ack == {"event": "unsubscribed", "id": 9, "channels": ["depth:BTC-USD"]}
    await aplace(alice, "SELL", "50000", "0.5")
    assert await client.nothing(0.3)
