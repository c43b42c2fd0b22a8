"""What the engine publishes after each committed batch: one message, chained seqs, exact levels."""

import json
from decimal import Decimal

import pytest
from django.core.cache import cache

from engine.core import InstrumentSpec
from marketdata.books import checksum, levels_format
from marketdata.protocol import FANOUT_GROUP, snapshot_cache_key
from marketdata.selectors import depth_from_database
from tests.engine.helpers import engine, market_with_traders, place

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def published(monkeypatch):
    """Every message the engine sends to the fan-out group, with the cached depth seen at that moment."""
    messages = []

    async def spy(layer, message):
        cached = cache.get(snapshot_cache_key("BTC-USD"))
        messages.append({**message, "cached_seq": cached["seq"] if cached else None})

    monkeypatch.setattr("marketdata.publisher.fanout_send", spy)
    return messages


def frames(messages, key):
    return [json.loads(text) for m in messages for k, _, text in m["frames"] if k == key]


def test_each_batch_is_one_message_whatever_the_number_of_subscribers(published):
    _, alice, _ = market_with_traders()
    published.clear()
    place(alice, "SELL", "50000", "0.5")
    assert len(published) == 1
    assert {k for k, _, _ in published[0]["frames"]} == {"depth:BTC-USD", "ticker:BTC-USD", "book:BTC-USD",
                                                          f"orders#{alice.pk}", f"balances#{alice.pk}"}  # fmt: skip


def test_depth_updates_chain_by_prev_seq_across_engine_restarts(published):
    # tests.engine.helpers starts a fresh engine (rebuilt from the database) for every command
    _, alice, bob = market_with_traders()
    place(alice, "SELL", "50000", "0.5")
    place(alice, "SELL", "50100", "0.5")
    place(bob, "BUY", "50100", "0.7")  # takes 0.5 @ 50000 and 0.2 @ 50100
    depth = frames(published, "depth:BTC-USD")
    assert [(d["prev_seq"], d["seq"]) for d in depth] == [(0, 1), (1, 2), (2, 4)]
    assert depth[-1]["data"]["asks"] == [["50000", "0"], ["50100", "0.3"]]
    [trades] = frames(published, "trades:BTC-USD")
    assert [(t["prev_seq"], t["seq"], t["price"], t["qty"]) for t in trades["data"]] == [
        (0, 3, "50000", "0.5"),
        (3, 4, "50100", "0.2"),
    ]
    assert (trades["prev_seq"], trades["seq"]) == (0, 4)
    place(bob, "BUY", "50100", "0.1")
    [_, again] = frames(published, "trades:BTC-USD")
    assert again["data"][0]["prev_seq"] == 4  # the previous trade, found in the database after a restart


def test_the_checksum_is_the_checksum_of_the_book_after_the_batch(published):
    instrument, alice, bob = market_with_traders()
    for price in ("49000", "49500", "49900"):
        place(bob, "BUY", price, "0.1")
    for price in ("50000", "50500"):
        place(alice, "SELL", price, "0.2")
    last = frames(published, "depth:BTC-USD")[-1]
    book = depth_from_database(instrument)
    assert book.seq == last["seq"]
    assert last["data"]["checksum"] == checksum(book.bids, book.asks)


def test_the_snapshot_is_cached_before_the_batch_is_published(published):
    _, alice, _ = market_with_traders()
    place(alice, "SELL", "50000", "0.5")
    place(alice, "SELL", "50010", "0.5")
    for message, depth in zip(published[-2:], frames(published, "depth:BTC-USD"), strict=True):
        assert message["cached_seq"] == depth["seq"]
    cached = cache.get(snapshot_cache_key("BTC-USD"))
    spec = InstrumentSpec("BTC-USD", tick_size=Decimal(cached["tick"]), lot_size=Decimal(cached["lot"]))
    assert levels_format(spec, cached["asks"]) == [("50000", "0.5"), ("50010", "0.5")]


def test_private_seqs_continue_after_an_engine_restart(published):
    _, alice, _ = market_with_traders()
    first = place(alice, "BUY", "40000", "0.1")["order"]
    engine("cancel", user_id=alice.pk, order_id=first["id"])
    place(alice, "BUY", "40000", "0.1")
    reports = frames(published, f"orders#{alice.pk}")
    assert [(r["prev_seq"], r["seq"]) for r in reports] == [(0, 1), (1, 2), (2, 3)]
    assert [r["data"]["status"] for r in reports] == ["NEW", "CANCELED", "NEW"]
    balances = frames(published, f"balances#{alice.pk}")
    assert [b["seq"] for b in balances] == list(range(1, len(balances) + 1))


def test_the_fee_account_gets_no_private_frames(published):
    _, alice, bob = market_with_traders()
    place(alice, "SELL", "50000", "0.5")
    place(bob, "BUY", "50000", "0.5")
    users = {int(k.split("#")[1]) for m in published for k, _, _ in m["frames"] if "#" in k}
    assert users == {alice.pk, bob.pk}


def test_a_failing_publisher_never_fails_the_batch(published, monkeypatch):
    _, alice, _ = market_with_traders()

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("marketdata.publisher.Publisher.frames_of", explode)
    published.clear()
    reply = place(alice, "SELL", "50000", "0.5")
    assert reply["ok"] and reply["order"]["status"] == "NEW"
    assert published == []


def test_the_group_is_the_fanout_group():
    assert FANOUT_GROUP.isascii() and len(FANOUT_GROUP) <= 100
