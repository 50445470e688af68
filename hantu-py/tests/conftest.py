"""Shared fixtures: small deterministic bar sets (no network, no files outside tmp)."""

import numpy as np
import pandas as pd
import pytest


def random_walk_bars(codes=("005930", "000660", "035420"), days=400, seed=7):
    """Daily bars of a few stocks: a seeded random walk on whole-won prices, business days."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2023-01-02", periods=days)
    frames = []
    for i, code in enumerate(codes):
        close = np.maximum(1000.0, np.round(50_000 * np.exp(np.cumsum(rng.normal(0, 0.02, days))), -1))
        open_ = np.maximum(1000.0, np.round(close * (1 + rng.normal(0, 0.005, days)), -1))
        high = np.maximum(open_, close) + 50
        low = np.minimum(open_, close) - 50
        volume = rng.integers(100_000, 1_000_000, days)
        frames.append(
            pd.DataFrame(
                {"date": dates, "code": code, "open": open_, "high": high, "low": low, "close": close, "volume": volume}
            )
        )
    return pd.concat(frames, ignore_index=True).sort_values(["date", "code"], ignore_index=True)


@pytest.fixture(scope="session")
def bars():
    return random_walk_bars()
