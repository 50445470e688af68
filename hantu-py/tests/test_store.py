import os
import time

import hantu
import pandas as pd
import pytest


def test_bars_round_trip_through_the_store(tmp_path):
    df = hantu.sim.market(n=3, days=20, seed=2)
    store = hantu.Store(tmp_path / "h.db")
    assert store.schema_version >= 1
    assert store.write_bars(df) == len(df)
    inst = store.instruments()
    assert set(inst.code) == set(df.code) and set(inst.market) <= {"KOSPI", "KOSDAQ", "KONEX"}
    back = store.bars()
    pd.testing.assert_frame_equal(back, df, check_dtype=False)
    code = df.code.iloc[0]
    days = sorted(df.date.unique())
    part = store.bars([code], start=days[5], end=days[9])
    assert list(part.date) == days[5:10] and set(part.code) == {code}
    # A second handle on the same file sees the same data.
    assert len(hantu.Store(tmp_path / "h.db").bars([code])) == 20


def test_empty_store_reads_empty_frames():
    store = hantu.Store(":memory:")
    assert store.bars().empty and store.instruments().empty
    assert store.open_orders().empty and store.fills().empty and store.runs().empty
    assert store.watchlist().empty and store.selections("2024-01-02").empty
    assert store.run(1) is None


def test_store_errors(tmp_path):
    bad = tmp_path / "not.db"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(hantu.StoreError):
        hantu.Store(bad)
    with pytest.raises(hantu.ValidationError):
        hantu.Store(":memory:").bars(["12"])


def test_import_csv_dir(tmp_path):
    d = tmp_path / "daily"
    d.mkdir()
    (d / "005930.csv").write_text("date,open,high,low,close,volume\n2024-01-02,100,110,90,105,1000\n2024-01-03,105,90,100,118,5\n")
    store = hantu.Store(":memory:")
    with pytest.warns(UserWarning, match="005930.csv"):
        assert store.import_csv_dir(d) == 1
    got = store.bars(["005930"])
    assert got.close.tolist() == [105] and got.date.tolist() == [pd.Timestamp("2024-01-02")]


def _pg_url():
    url = os.environ.get("HANTU_TEST_PG_URL")
    if not url:
        pytest.skip("HANTU_TEST_PG_URL is not set (scripts/test.sh starts a PostgreSQL server)")
    return url


def test_the_same_store_on_postgres_with_the_password_from_the_environment(monkeypatch):
    url = _pg_url()
    user_host = url.split("://", 1)[1]
    password = user_host.split("@", 1)[0].split(":", 1)[1]
    bare = url.replace(":" + password + "@", "@")
    monkeypatch.setenv("HANTU_PG_PASSWORD", password)
    schema = "py_%d_%d" % (os.getpid(), time.time_ns() % 1_000_000_000)
    store = hantu.Store(bare, schema=schema)
    assert password not in repr(store) and "postgres://" in repr(store)
    df = hantu.sim.market(n=3, days=20, seed=2)
    assert store.write_bars(df) == len(df)
    pd.testing.assert_frame_equal(store.bars(), df, check_dtype=False)
    assert len(hantu.Store(bare, schema=schema).bars([df.code.iloc[0]])) == 20
    monkeypatch.setenv("HANTU_PG_PASSWORD", "wrong-" + password)
    with pytest.raises(hantu.StoreError) as e:
        hantu.Store(bare, schema=schema)
    assert password not in str(e.value)
