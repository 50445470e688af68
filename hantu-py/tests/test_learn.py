"""hantu.learn over a real store file: picks become predictions, outcomes arrive after their horizon,
accuracy and weights come back as DataFrames, and bad settings name their key."""

import pandas as pd
import pytest

import hantu

SCREEN = {"name": "liquid", "rule": {"value": "avg_traded_value(20)", "min": 1e6}, "score": [{"value": "return(20)"}]}


@pytest.fixture(scope="module")
def store_with_picks(tmp_path_factory):
    path = tmp_path_factory.mktemp("learn") / "hantu.db"
    store = hantu.Store(path)
    bars = hantu.sim.market(n=80, days=120, seed=5)
    store.write_bars(bars)
    days = sorted(bars["date"].unique())
    picked = 0
    # Ten days of picks, 30 to 21 sessions before the end, stored as the CLI stores them.
    for day in days[-31:-21]:
        picks = hantu.select(bars, SCREEN, {"name": "t", "max_picks": 5}, as_of=day, store=store)
        picked += len(picks)
    return store, picked, days


def test_update_measures_every_pick_whose_horizon_has_passed(store_with_picks):
    store, picked, days = store_with_picks
    assert picked > 0
    cfg = {"horizons": [1, 5], "ic_horizon": 5, "every_sessions": 1, "weights": {"min_samples": 5}}
    report = hantu.learn.update(store, config=cfg)
    assert report["as_of"] == pd.Timestamp(days[-1]).strftime("%Y-%m-%d")
    assert report["outcomes"] == picked * 2
    assert report["new_version"] is not None

    out = hantu.learn.outcomes(store)
    assert len(out) == picked * 2
    assert {"actual_return", "max_favourable", "max_drawdown", "first_hit", "days_held", "hit"} <= set(out.columns)
    assert (out["evaluated_on"] <= pd.Timestamp(days[-1])).all()

    acc = hantu.learn.accuracy(store)
    assert acc.overall["count"] + acc.overall["not_entered"] == picked * 2
    assert set(acc.by_horizon.index) == {"1", "5"} or set(acc.by_horizon.index) == {1, 5}
    assert len(acc.calibration) == 10
    assert "hit rate" in repr(acc)

    w = hantu.learn.weights(store)
    assert len(w) == 1
    assert abs(w[["technical", "momentum", "volume", "value", "risk"]].iloc[0].sum() - 1.0) < 1e-9
    assert hantu.learn.rollback(store, w["version"].iloc[0]) == []


def test_bad_settings_and_unknown_versions_are_config_errors(store_with_picks):
    store, _, _ = store_with_picks
    with pytest.raises(hantu.ConfigError, match="learn.horizons"):
        hantu.learn.update(store, config={"horizons": [0]})
    with pytest.raises(hantu.ConfigError, match="known"):
        hantu.learn.rollback(store, "nope")


def test_traded_picks_link_to_their_round_trips(tmp_path):
    store = hantu.Store(tmp_path / "traded.db")
    bars = hantu.sim.market(n=40, days=60, seed=7)
    store.write_bars(bars)
    as_of = sorted(bars["date"].unique())[-1]
    picks = hantu.select(bars, SCREEN, {"name": "t", "max_picks": 3}, as_of=as_of, store=store)
    # The picks are stored for the next session.
    day = next(d for d in pd.bdate_range(as_of + pd.Timedelta(days=1), periods=10) if len(store.selections(d)))
    p = picks.iloc[0]
    pick = {k: int(p[k]) for k in ("entry_low", "entry_high", "stop", "target", "qty")} | {"code": p["code"]}
    at = lambda s: f"{day:%Y-%m-%d} 10:00:{s:02d}"  # noqa: E731
    path = [pick["entry_high"], pick["entry_high"], pick["target"], pick["target"]]
    s = hantu.trade.run([(p["code"], at(i + 1), px, 100_000) for i, px in enumerate(path)], picks=[pick], cash=100_000_000, store=store)
    assert list(s.fills["side"]) == ["buy", "sell"], s.fills

    traded = hantu.learn.traded(store)
    assert list(traded.picks["code"]) == [p["code"]]
    row = traded.picks.iloc[0]
    assert row["trips"] == 1 and not row["open"]
    assert row["predicted_return"] == pytest.approx(pick["target"] / pick["entry_high"] - 1)
    assert row["realised_return"] > 0 and row["pnl"] > 0
    assert len(traded.trips) == 1
    assert traded.trips["entry_ts"].iloc[0] == pd.Timestamp(at(1)) + pd.Timedelta(seconds=1), "bought on the print after"
    assert traded.summary["closed"] == 1
    assert "1 picks" in repr(traded)
    assert hantu.learn.traded(store, since=day + pd.Timedelta(days=1)).picks.empty
