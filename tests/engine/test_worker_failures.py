"""The worker never dies on one bad message, and never replies for what it did not commit."""

import pytest
from django.db import transaction

from engine import handlers, persistence
from engine.recovery import state_load
from tests.engine.helpers import market_with_traders
from trading.models import Order

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def order_message(user, coid, price="40000"):
    command = {
        "op": "place",
        "user_id": user.pk,
        "symbol": "BTC-USD",
        "side": "BUY",
        "order_type": "LIMIT",
        "price": price,
        "qty": "0.1",
        "client_order_id": coid,
    }
    return {"reply_to": f"engine-reply.{coid}", "command": command}


def test_a_command_that_crashes_is_refused_alone_and_the_rest_of_the_batch_commits(monkeypatch):
    _, alice, _ = market_with_traders()

    def explode(state, cmd):
        state.ex.deposit(alice.pk, "USD", 10**12)  # corrupts the in-memory state before failing
        raise RuntimeError("bug")

    monkeypatch.setitem(handlers.HANDLERS, "explode", explode)
    state = state_load()
    outcome = state.process_batch(
        [
            order_message(alice, "one"),
            {"reply_to": "engine-reply.x", "command": {"op": "explode"}},
            order_message(alice, "two"),
        ]
    )
    replies = [reply for _, reply in outcome.replies]
    assert [r["ok"] for r in replies] == [True, False, True]
    assert replies[1]["reason"] == "WORKER_INTERNAL"
    assert set(Order.objects.values_list("client_order_id", flat=True)) == {"one", "two"}
    # the corrupting deposit was thrown away with the rebuilt state
    assert state.ex.check_invariants() == []
    assert state.balance(alice.pk, "USD")[0] == 100000 - 2 * 4000


def test_a_failed_commit_answers_every_command_with_an_error_and_writes_nothing(monkeypatch):
    _, alice, _ = market_with_traders()
    state = state_load()

    def broken_persist(_state):
        raise RuntimeError("database went away")

    monkeypatch.setattr("engine.state.batch_persist", broken_persist)
    with transaction.atomic():
        outcome = state.process_batch([order_message(alice, "one"), order_message(alice, "two")])
    assert [reply["reason"] for _, reply in outcome.replies] == ["WORKER_INTERNAL", "WORKER_INTERNAL"]
    assert not Order.objects.exists()
    monkeypatch.setattr("engine.state.batch_persist", persistence.batch_persist)
    # the state was rebuilt from the database: the same client order id places normally now
    outcome = state.process_batch([order_message(alice, "one")])
    assert outcome.replies[0][1]["ok"]
    assert Order.objects.get().client_order_id == "one"
