"""python -m engine.core.replay: the format of docs/replay-format.md."""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine.core.replay import run
from tests.engine.core.streams import standard_stream

REPO = Path(__file__).resolve().parents[3]
INSTRUMENT = '{"op":"instrument","symbol":"BTC-USD","tick_size":"0.01","lot_size":"0.001"}'


def replay(lines: list[str], final: bool = False) -> tuple[int, list[str], str]:
    out, err = io.StringIO(), io.StringIO()
    rc = run(io.BytesIO("\n".join(lines).encode() + b"\n"), out, err, final)
    return rc, out.getvalue().splitlines(), err.getvalue()


def cli(text: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "engine.core.replay", *args], input=text, cwd=REPO, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


def test_doc_example_prints_trades_at_maker_price_and_order_updates() -> None:
    rc, out, err = replay(
        [
            INSTRUMENT,
            '{"op":"place","id":17,"owner":3,"symbol":"BTC-USD","side":"BUY","type":"LIMIT","price":"100.25","qty":"1.5","tif":"GTC"}',
            '{"op":"place","id":18,"owner":4,"symbol":"BTC-USD","side":"SELL","type":"MARKET","qty":"2"}',
            '{"op":"place","id":19,"owner":4,"symbol":"BTC-USD","side":"SELL","type":"LIMIT_MAKER","price":"101","qty":"1"}',
            '{"op":"place","id":21,"owner":3,"symbol":"BTC-USD","side":"BUY","type":"LIMIT","price":"101","qty":"1","tif":"IOC","stp":"EXPIRE_TAKER"}',
            '{"op":"place","id":22,"owner":3,"symbol":"BTC-USD","side":"BUY","type":"LIMIT","price":"100","qty":"1"}',
            '{"op":"amend","id":22,"symbol":"BTC-USD","qty":"0.5"}',
            '{"op":"cancel","id":17,"symbol":"BTC-USD"}',
        ]
    )
    assert (rc, err) == (0, "")
    assert out == [
        '{"event":"order","id":17,"status":"NEW","filled":"0"}',
        '{"event":"trade","symbol":"BTC-USD","seq":2,"taker":18,"maker":17,"price":"100.25","qty":"1.5","taker_side":"SELL"}',
        '{"event":"order","id":17,"status":"FILLED","filled":"1.5"}',
        '{"event":"order","id":18,"status":"EXPIRED","filled":"1.5","reason":"NO_LIQUIDITY"}',
        '{"event":"order","id":19,"status":"NEW","filled":"0"}',
        '{"event":"trade","symbol":"BTC-USD","seq":4,"taker":21,"maker":19,"price":"101","qty":"1","taker_side":"BUY"}',
        '{"event":"order","id":19,"status":"FILLED","filled":"1"}',
        '{"event":"order","id":21,"status":"FILLED","filled":"1"}',
        '{"event":"order","id":22,"status":"NEW","filled":"0"}',
        '{"event":"order","id":22,"status":"NEW","filled":"0","remaining":"0.5"}',
        '{"event":"refused","op":"cancel","id":17,"reason":"UNKNOWN_ORDER"}',
    ]


def test_engine_refusals_are_events_and_the_replay_goes_on() -> None:
    place = (
        '{"op":"place","id":1,"owner":1,"symbol":"BTC-USD","side":"BUY","type":"LIMIT","price":"1","qty":"1"}'
    )
    rc, out, _ = replay([INSTRUMENT, place, place, '{"op":"amend","id":1,"symbol":"BTC-USD","qty":"0"}'])
    assert rc == 0
    assert out[1:] == [
        '{"event":"refused","op":"place","id":1,"reason":"DUPLICATE_ID"}',
        '{"event":"refused","op":"amend","id":1,"reason":"BAD_AMEND"}',
    ]


def test_final_line_summarises_orders_depth_and_state_hash() -> None:
    rc, out, _ = replay(
        [
            INSTRUMENT,
            '{"op":"place","id":1,"owner":1,"symbol":"BTC-USD","side":"BUY","type":"LIMIT","price":"100.25","qty":"3"}',
            '{"op":"place","id":2,"owner":2,"symbol":"BTC-USD","side":"SELL","type":"LIMIT","price":"100","qty":"1.5"}',
        ],
        final=True,
    )
    assert rc == 0
    final = json.loads(out[-1])["final"]
    assert final["orders"] == {"1": ["PARTIALLY_FILLED", "1.5"], "2": ["FILLED", "1.5"]}
    assert final["depth"] == {"BTC-USD": {"bids": [["100.25", "1.5"]], "asks": []}}
    assert len(final["state_hash"]) == 64


BAD_LINES = [
    ("{not json", "invalid JSON"),
    ('["a"]', "JSON object"),
    ('{"op":"explode"}', "unknown op"),
    ('{"op":"cancel","id":1,"symbol":"BTC-USD","why":1}', "unknown field"),
    ('{"op":"cancel","symbol":"BTC-USD"}', "missing field"),
    ('{"op":"cancel","id":"1","symbol":"BTC-USD"}', "integer"),
    (
        '{"op":"place","id":1,"owner":1,"symbol":"BTC-USD","side":"BUY","type":"LIMIT","price":100,"qty":"1"}',
        "decimal",
    ),
    (
        '{"op":"place","id":1,"owner":1,"symbol":"BTC-USD","side":"BUY","type":"LIMIT","price":"1.2.3","qty":"1"}',
        "decimal",
    ),
    (
        '{"op":"place","id":1,"owner":1,"symbol":"BTC-USD","side":"BUY","type":"LIMIT","price":"NaN","qty":"1"}',
        "decimal",
    ),
    (
        '{"op":"place","id":1,"owner":1,"symbol":"BTC-USD","side":"BUY","type":"LIMIT","price":"100.001","qty":"1"}',
        "TICK_SIZE",
    ),
    (
        '{"op":"place","id":1,"owner":1,"symbol":"BTC-USD","side":"BUY","type":"LIMIT","price":"100","qty":"0.0001"}',
        "LOT_SIZE",
    ),
    (
        '{"op":"place","id":1,"owner":1,"symbol":"BTC-USD","side":"BUY","type":"LIMIT","price":"-1","qty":"1"}',
        "TICK_SIZE",
    ),
    (
        '{"op":"place","id":1,"owner":1,"symbol":"BTC-USD","side":"UP","type":"LIMIT","price":"1","qty":"1"}',
        "side",
    ),
    (
        '{"op":"place","id":1,"owner":1,"symbol":"ETH-USD","side":"BUY","type":"LIMIT","price":"1","qty":"1"}',
        "instrument",
    ),
    ('{"op":"amend","id":1,"symbol":"BTC-USD","qty":"0.0005"}', "LOT_SIZE"),
    (INSTRUMENT, "already defined"),
]


@pytest.mark.parametrize(("line", "why"), BAD_LINES)
def test_a_bad_line_stops_the_replay_with_its_line_number_on_stderr(line: str, why: str) -> None:
    ok = (
        '{"op":"place","id":9,"owner":1,"symbol":"BTC-USD","side":"BUY","type":"LIMIT","price":"1","qty":"1"}'
    )
    rc, out, err = replay([INSTRUMENT, ok, line, ok.replace('"id":9', '"id":10')])
    assert rc == 1
    assert err.startswith("line 3: ") and why in err, err
    assert out == ['{"event":"order","id":9,"status":"NEW","filled":"0"}']  # what came before is written


def test_cli_bad_line_exits_non_zero_without_a_traceback() -> None:
    proc = cli(INSTRUMENT + "\n{oops\n")
    assert proc.returncode == 1
    assert proc.stderr.startswith("line 2: invalid JSON") and "Traceback" not in proc.stderr


@pytest.mark.parametrize("kind", ["limit", "mixed"])
def test_cli_replays_the_standard_streams_into_valid_events(kind: str) -> None:
    text = "".join(json.dumps(op) + "\n" for op in standard_stream(kind, 3000))
    proc = cli(text, "--final")
    assert proc.returncode == 0 and proc.stderr == ""
    lines = [json.loads(x) for x in proc.stdout.splitlines()]
    final = lines.pop()["final"]
    kinds = {x["event"] for x in lines}
    assert kinds <= {"order", "trade", "refused"} and "trade" in kinds
    seqs = [x["seq"] for x in lines if x["event"] == "trade"]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    last: dict[str, list[str]] = {}
    for x in lines:
        if x["event"] == "order":
            assert x["status"] in {"NEW", "PARTIALLY_FILLED", "FILLED", "CANCELED", "EXPIRED", "REJECTED"}
            last[str(x["id"])] = [x["status"], x["filled"]]
    assert final["orders"] == last
    bids, asks = final["depth"]["BTC-USD"]["bids"], final["depth"]["BTC-USD"]["asks"]
    assert not bids or not asks or float(bids[0][0]) < float(asks[0][0])
    # same input, same output
    assert cli(text, "--final").stdout == proc.stdout


def test_oco_lists_trailing_stops_and_triggers_in_the_replay_format() -> None:
    rc, out, err = replay(
        [
            INSTRUMENT,
            '{"op":"place","id":1,"owner":8,"symbol":"BTC-USD","side":"SELL","type":"LIMIT","price":"100","qty":"1"}',
            '{"op":"place","id":2,"owner":9,"symbol":"BTC-USD","side":"BUY","type":"LIMIT","price":"100","qty":"1"}',
            '{"op":"place_oco","owner":3,"symbol":"BTC-USD","side":"SELL","qty":"2","limit_id":10,"price":"110",'
            '"stop_id":11,"stop_price":"95","stop_limit_price":"94"}',
            '{"op":"place","id":12,"owner":4,"symbol":"BTC-USD","side":"SELL","type":"STOP_LOSS_LIMIT","price":"90",'
            '"qty":"1","trailing_delta":500}',
            '{"op":"place","id":13,"owner":5,"symbol":"BTC-USD","side":"BUY","type":"LIMIT","price":"94","qty":"3"}',
            '{"op":"place","id":14,"owner":6,"symbol":"BTC-USD","side":"SELL","type":"LIMIT","price":"94","qty":"1"}',
        ]
    )
    assert (rc, err) == (0, "")
    assert out[4:] == [
        '{"event":"order","id":10,"status":"NEW","filled":"0"}',
        '{"event":"order","id":11,"status":"NEW","filled":"0"}',
        '{"event":"order","id":12,"status":"NEW","filled":"0"}',
        '{"event":"trail","id":12,"peak":"100","trigger_price":"95"}',
        '{"event":"order","id":13,"status":"NEW","filled":"0"}',
        '{"event":"trade","symbol":"BTC-USD","seq":5,"taker":14,"maker":13,"price":"94","qty":"1","taker_side":"SELL"}',
        '{"event":"order","id":13,"status":"PARTIALLY_FILLED","filled":"1"}',
        '{"event":"order","id":14,"status":"FILLED","filled":"1"}',
        '{"event":"triggered","id":11,"trigger_price":"95","seq":5}',
        '{"event":"order","id":10,"status":"EXPIRED","filled":"0","reason":"OCO_OTHER_LEG"}',
        '{"event":"triggered","id":12,"trigger_price":"95","seq":5}',
        '{"event":"trade","symbol":"BTC-USD","seq":7,"taker":11,"maker":13,"price":"94","qty":"2","taker_side":"SELL"}',
        '{"event":"order","id":13,"status":"FILLED","filled":"3"}',
        '{"event":"order","id":11,"status":"FILLED","filled":"2"}',
        '{"event":"order","id":12,"status":"NEW","filled":"0"}',
    ]


def test_place_oco_with_an_unknown_field_stops_the_replay() -> None:
    rc, _, err = replay(
        [
            INSTRUMENT,
            '{"op":"place_oco","owner":3,"symbol":"BTC-USD","side":"SELL","qty":"2","limit_id":10,"price":"110",'
            '"stop_id":11,"stop_limit_price":"94","above":"1"}',
        ]
    )
    assert rc == 1 and "unknown field(s) for place_oco: above" in err
