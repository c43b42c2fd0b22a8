"""The book read from the database (a cold cache: after a restart) leaves out stops that wait for
their trigger, trailing ones too, as the engine's own book does: a waiting trailing stop-loss sell
at a limit below the bids would otherwise show a crossed book to every page and client."""

import pytest

from marketdata.selectors import depth_from_database
from tests.engine.helpers import engine, market_with_traders, place

pytestmark = [pytest.mark.django_db]


def test_a_waiting_trailing_stop_is_not_in_the_book_read_from_the_database():
    instrument, alice, bob = market_with_traders()
    place(bob, "BUY", "49000", "0.1")
    engine("place", user_id=alice.pk, symbol="BTC-USD", side="SELL", order_type="STOP_LOSS_LIMIT",
           price="40000", qty="0.1", trailing_delta=100, client_order_id="trail")  # fmt: skip
    engine("place", user_id=alice.pk, symbol="BTC-USD", side="SELL", order_type="STOP_LOSS_LIMIT",
           price="40000", qty="0.1", stop_price="45000", client_order_id="fixed")  # fmt: skip
    book = depth_from_database(instrument)
    assert (book.bids, book.asks) == ([("49000", "0.1")], [])
