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


def test_notification_history_reads_as_a_frame(tmp_path):
    import sqlite3

    path = tmp_path / "h.db"
    store = hantu.Store(path)
    assert store.notifications().empty
    # The notification services write this table; here a row goes in as they would write it.
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO notifications (ts, channel, level, kind, dedup_key, title, body, status, attempts, error, updated)"
            " VALUES (1764900000000, 'telegram', 'warning', 'stop_loss', 'stop_loss:005930:2025-12-05',"
            " '손절: 005930', '10주 매도', 'failed', 4, 'HTTP 502', 1764900060000)"
        )
    df = store.notifications()
    assert len(df) == 1
    row = df.iloc[0]
    assert (row.channel, row.level, row.kind, row.status, row.attempts) == ("telegram", "warning", "stop_loss", "failed", 4)
    assert row.title == "손절: 005930" and row.error == "HTTP 502"
    assert row.ts == pd.Timestamp("2025-12-05 11:00:00")
    assert store.notifications(since="2025-12-06").empty


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
