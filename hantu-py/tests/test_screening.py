import hantu
import numpy as np
import pandas as pd
import pytest

SCREEN = {
    "name": "up",
    "rule": {"value": "return(20)", "min": 0},
    "score": [{"value": "return(20)", "weight": 1}],
}


@pytest.fixture(scope="module")
def market():
    return hantu.sim.market(n=40, days=120, seed=5)


def test_screen_matches_returns_computed_in_pandas(market):
    w = hantu.screen(market, SCREEN)
    wide = market.pivot(index="date", columns="code", values="close")
    ret = (wide.iloc[-1] / wide.iloc[-21] - 1.0) * 100.0
    assert set(w.code) == set(ret[ret >= 0].index)
    assert list(w["rank"]) == list(range(1, len(w) + 1))
    np.testing.assert_allclose(w["return(20)"].to_numpy(), ret[w.code].to_numpy(), rtol=1e-12)
    # Best first: a higher return ranks higher.
    assert w["return(20)"].is_monotonic_decreasing
    assert w.attrs["screen"] == "up" and w.attrs["as_of"] == str(market.date.max().date())
    assert w.attrs["evaluated"] == 40
    assert set(w.market) <= {"KOSPI", "KOSDAQ", "KONEX"}


def test_screen_as_of_and_toml_forms(market, tmp_path):
    day = sorted(market.date.unique())[80]
    toml = 'name = "up"\n[rule]\nvalue = "return(20)"\nmin = 0\n'
    path = tmp_path / "up.toml"
    path.write_text(toml)
    a = hantu.screen(market, SCREEN | {"score": []}, as_of=day)
    b = hantu.screen(market, toml, as_of=day)
    c = hantu.screen(market, str(path), as_of=str(pd.Timestamp(day).date()))
    assert set(a.code) == set(b.code) == set(c.code)
    assert a.attrs["as_of"] == str(pd.Timestamp(day).date())


def test_screen_config_errors_name_the_key(market):
    with pytest.raises(hantu.ConfigError, match="rule"):
        hantu.screen(market, {"name": "x", "rule": {"value": "nonsense(3)", "min": 0}})
    with pytest.raises(hantu.ConfigError, match="name"):
        hantu.screen(market, {"name": "", "rule": {"value": "return(5)", "min": 0}})
    with pytest.raises(hantu.ConfigError, match="toml"):
        hantu.screen(market, "name = [unclosed")
    with pytest.raises(hantu.ConfigError, match="cannot read"):
        hantu.screen(market, "missing.toml")


def test_select_picks_from_the_watchlist(market):
    picks = hantu.select(market, SCREEN, {"name": "t", "max_picks": 5})
    watch = picks.attrs["watchlist"]
    assert len(picks) <= 5 and set(picks.code) <= set(watch.code)
    assert {"technical", "momentum", "volume", "value", "risk", "entry_low", "stop", "target", "qty"} <= set(picks.columns)
    assert (picks.stop < picks.close).all() and (picks.target > picks.close).all()
    assert set(picks.attrs["refused"].code) | set(picks.code) == set(watch.code)
    held = list(picks.code[:1])
    again = hantu.select(market, SCREEN, {"name": "t", "max_picks": 5, "filters": {"skip_held": True}}, held=held)
    assert held[0] not in set(again.code)
    with pytest.raises(hantu.ConfigError, match="max_pick"):
        hantu.select(market, SCREEN, {"name": "t", "max_pickz": 5})
