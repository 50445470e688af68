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
