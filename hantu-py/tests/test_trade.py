"""hantu.trade.run: the trader over scripted prints, through the installed wheel."""

import pandas as pd
import pytest

import hantu

PICK = {"code": "005930", "entry_low": 65_000, "entry_high": 66_000, "stop": 63_000, "target": 70_000, "qty": 10}


def t(sec):
    return f"2025-07-25 10:00:{sec:02d}"


def test_a_pick_enters_in_its_zone_and_leaves_once_at_the_stop():
    ticks = [("005930", t(1), 67_000, 1), ("005930", t(2), 65_500, 1), ("005930", t(3), 62_900, 1), ("005930", t(4), 62_800, 1)]
    s = hantu.trade.run(ticks, picks=[PICK], trailing_pct=0.01)
    assert list(s.fills["side"]) == ["buy", "sell"]
    assert s.positions.empty
    assert s.report["tax"] != "0" and len(s.report["fills"]) == 2
    assert all(f["decision_price"] is not None for f in s.report["fills"])


def test_pause_holds_entries_and_stop_flatten_sells_everything(tmp_path):
    ticks = [("005930", t(1), 65_500, 1), ("000660", t(3), 50_000, 1), ("005930", t(5), 65_600, 1), ("005930", t(8), 65_700, 1)]
    other = dict(PICK, code="000660", entry_low=49_000, entry_high=50_000, stop=45_000, target=60_000, qty=2)
    path = tmp_path / "trade.db"
    s = hantu.trade.run(
        ticks,
        picks=[PICK, other],
        control=[(t(2), "paused"), (t(6), "stop_flatten")],
        store=hantu.Store(path),
    )
    assert s.end == "stopped"
    assert s.control == "stop_flatten"
    assert s.gated >= 1, "the paused entry was held back"
    assert list(s.fills["side"]) == ["buy", "sell"], "bought before the pause, flattened at the stop"
    assert s.positions.empty
    assert path.exists()


def test_a_built_in_strategy_runs_and_bad_input_is_a_clear_error():
    ticks = pd.DataFrame(
        {"code": ["005930"] * 3, "ts": [t(1), t(2), t(3)], "price": [65_500, 65_600, 65_700], "qty": [1, 1, 1]}
    )
    s = hantu.trade.run(ticks, "sma-cross", {"fast": 2, "slow": 3})
    assert s.end == "feed_ended"
    with pytest.raises(hantu.ConfigError):
        hantu.trade.run(ticks, "nope")
    with pytest.raises(hantu.DataError):
        hantu.trade.run([("bad", t(1), 1_000, 1)], "sma-cross")
