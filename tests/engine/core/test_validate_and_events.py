import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from engine.core import (
    STP,
    InvariantError,
    OrderEvent,
    OrderStatus,
    OrderType,
    Refused,
    Side,
    TimeInForce,
    TradeEvent,
)
from engine.core.events import order_event, trade_event
from engine.core.order import Order
from tests.engine.core.helpers import SYM, Book

REPO = Path(__file__).resolve().parents[3]


def _book_with_orders() -> Book:
    b = Book()
    b.buy(1, 5, 100)
    b.buy(2, 3, 100)
    b.sell(3, 2, 105)
    return b


def _corrupt(b: Book, how: str) -> None:
    book = b.eng._books[SYM]
    lvl = book.bids.levels[100]
    if how == "total":
        lvl.total += 1
    elif how == "fifo":
        assert lvl.head is not None
        lvl.head.priority = 99
    elif how == "index":
        del b.eng._orders[1]
    elif how == "remaining":
        assert lvl.tail is not None
        lvl.tail.remaining = 0
    elif how == "crossed":
        o = Order(99, 9, SYM, Side.BUY, OrderType.LIMIT, 110, None, 1, 0, 1, TimeInForce.GTC, STP.NONE, 100)
        book.bids.add(o)
        b.eng._orders[99] = o
    elif how == "mislabelled":
        book.asks.levels[105].price = 104
    elif how == "empty_level":
        for o in list(lvl.orders()):
            lvl.unlink(o)
    elif how == "best":
        book.bids.best = None


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("total", "count/total"),
        ("fifo", "not FIFO"),
        ("index", "missing from the id index"),
        ("remaining", "bad quantities"),
        ("crossed", "crossed book"),
        ("mislabelled", "filed under"),
        ("empty_level", "empty level"),
        ("best", "cached best"),
    ],
)
def test_validate_catches_each_broken_invariant(how: str, message: str) -> None:
    b = _book_with_orders()
    b.eng.validate()
    _corrupt(b, how)
    with pytest.raises(InvariantError, match=message):
        b.eng.validate()


def test_events_are_frozen_slotted_dataclasses() -> None:
    b = Book()
    ev = b.buy(1, 5, 100)[0]
    assert type(ev) is OrderEvent and dataclasses.is_dataclass(ev)
    assert not hasattr(ev, "__dict__")
    with pytest.raises(dataclasses.FrozenInstanceError):
        ev.status = OrderStatus.FILLED  # type: ignore[misc]
    for cls in (OrderEvent, TradeEvent, Refused):
        assert cls.__dataclass_params__.frozen and "__slots__" in cls.__dict__  # type: ignore[attr-defined]
    assert b.depth() == ([(100, 5)], [])


def test_fast_event_factories_build_the_same_events_as_the_constructors() -> None:
    args = (1, 2, SYM, Side.BUY, 100, OrderStatus.NEW, 0, 5, None, 3, 4)
    fast, slow = order_event(*args), OrderEvent(*args)
    assert fast == slow and hash(fast) == hash(slow) and type(fast) is OrderEvent and repr(fast) == repr(slow)
    targs = (SYM, 1, 2, 3, 4, 5, 100, 7, Side.SELL)
    assert trade_event(*targs) == TradeEvent(*targs) and type(trade_event(*targs)) is TradeEvent
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.seq = 9  # type: ignore[misc]


def test_importing_the_core_does_not_load_django() -> None:
    code = "import sys, engine.core, engine.core.replay; assert not [m for m in sys.modules if m.startswith('django')]"
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_core_modules_import_each_other_without_a_circle() -> None:
    """Every engine.core module's imports of other core modules form a DAG (issue 9)."""
    import ast

    core = REPO / "engine" / "core"
    deps: dict[str, set[str]] = {}
    for path in core.glob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("engine.core."):
                names.add(node.module.rsplit(".", 1)[1])  # type: ignore[union-attr]
        deps[path.stem] = names - {path.stem}
    done: set[str] = set()

    def visit(mod: str, stack: tuple[str, ...]) -> None:
        assert mod not in stack, f"import circle: {' -> '.join((*stack, mod))}"
        if mod in done:
            return
        for dep in deps.get(mod, ()):
            visit(dep, (*stack, mod))
        done.add(mod)

    for mod in deps:
        visit(mod, ())
    assert "order" in deps["book"] and "order" in deps["stops"]
