"""The `book:<SYMBOL>` channel: a snapshot equal to REST book-ticker, then a sequenced update on
every change of the top of the book (price or size) and none when only deeper levels change."""

import pytest
from channels.db import database_sync_to_async
from rest_framework.test import APIClient

from tests.marketdata.helpers import acancel, amarket, aplace

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]


def is_update(channel):
    return lambda f: f["event"] == "update" and f["channel"] == channel


@database_sync_to_async
def rest_book_ticker(symbol="BTC-USD"):
    return APIClient().get(f"/api/v1/markets/{symbol}/book-ticker/").json()


async def test_the_snapshot_is_the_rest_book_ticker(ws):
    _, alice, bob = await amarket()
    await aplace(alice, "SELL", "50000", "0.5")
    await aplace(bob, "BUY", "49000", "0.25")
    client = await ws()
    snap = (await client.subscribe("book:BTC-USD"))["book:BTC-USD"]
    rest = await rest_book_ticker()
    assert snap["seq"] == rest.pop("seq") == 2
    assert snap["data"] == rest == {
        "symbol": "BTC-USD", "best_bid": "49000", "best_bid_qty": "0.25", "best_ask": "50000", "best_ask_qty": "0.5",
    }  # fmt: skip


async def test_a_top_of_book_change_sends_one_sequenced_update_and_a_deeper_one_none(ws):
    _, alice, bob = await amarket()
    await aplace(alice, "SELL", "50000", "0.5")
    client = await ws()
    snap = await client.subscribe("book:BTC-USD", "depth:BTC-USD")
    book_seq = snap["book:BTC-USD"]["seq"]

    await aplace(alice, "SELL", "50100", "1")  # deeper ask: the top is unchanged
    deeper = await client.recv_until(is_update("depth:BTC-USD"))
    await aplace(bob, "BUY", "50000", "0.2")  # trades: the size at the best ask changes
    between = []  # every frame after the deeper order's depth update, up to the trade's
    depth = await client.recv_until(lambda f: between.append(f) or is_update("depth:BTC-USD")(f))
    assert not [f for f in between if f["channel"] == "book:BTC-USD"]  # none for the deeper order
    book = await client.recv_until(is_update("book:BTC-USD"))
    assert book["seq"] == depth["seq"] > deeper["seq"] > book_seq
    assert book["data"]["best_ask"] == "50000" and book["data"]["best_ask_qty"] == "0.3"
    assert (book["data"]["best_bid"], book["data"]["best_bid_qty"], book["data"]["symbol"]) == (
        None,
        None,
        "BTC-USD",
    )
    assert isinstance(book["data"]["time"], int)
    rest = await rest_book_ticker()
    assert rest == {**{k: v for k, v in book["data"].items() if k != "time"}, "seq": book["seq"]}


async def test_a_new_best_price_and_a_cancel_at_the_top_each_send_an_update(ws):
    _, _, bob = await amarket()
    resting = await aplace(bob, "BUY", "49000", "1")
    client = await ws()
    await client.subscribe("book:BTC-USD")
    better = await aplace(bob, "BUY", "49500", "0.1")
    first = await client.recv_until(is_update("book:BTC-USD"))
    assert (first["data"]["best_bid"], first["data"]["best_bid_qty"]) == ("49500", "0.1")
    await acancel(bob, better["order"]["id"])
    second = await client.recv_until(is_update("book:BTC-USD"))
    assert (second["data"]["best_bid"], second["data"]["best_bid_qty"]) == ("49000", "1")
    assert second["seq"] > first["seq"]
    await acancel(bob, resting["order"]["id"])
    third = await client.recv_until(is_update("book:BTC-USD"))
    assert third["data"]["best_bid"] is None and third["seq"] > second["seq"]
    assert await client.nothing()


async def test_book_channel_of_an_unknown_symbol_is_refused(ws):
    await amarket()
    client = await ws()
    error = await client.request({"op": "subscribe", "channels": ["book:DOGE-USD"], "id": 7})
    assert (error["event"], error["code"], error["id"]) == ("error", -1121, 7)
