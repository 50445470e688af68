"""hantu.kis.Stream: the KIS real-time feed from Python, against the local KIS server."""

import socket

import pytest

import hantu


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_stream_that_cannot_connect_says_why():
    with hantu.kis.LocalServer(at="2025-07-25 10:00") as server:
        url = f"ws://127.0.0.1:{closed_port()}"
        with pytest.raises(hantu.BrokerError, match="connecting to ws://127.0.0.1"):
            hantu.kis.Stream(server.app_key, server._inner.app_secret, env=server.env, url=server.url, ws_url=url)


def test_bad_arguments_are_refused_before_connecting():
    with pytest.raises(hantu.ValidationError):
        hantu.kis.Stream("k" * 36, "s" * 180, url="http://127.0.0.1:1", ws_url="ws://127.0.0.1:1", bar_minutes=0)
    with pytest.raises(hantu.ConfigError, match="paper"):
        hantu.kis.Stream("k" * 36, "s" * 180, env="demo-ish")


def test_trades_arrive_once_and_the_bars_equal_the_servers_minute_bars():
    with hantu.kis.LocalServer(env="real", at="2025-07-25 09:00", tape_seed=3, trades_per_sec=1.0) as server:
        with server.stream(["005930"], book=True, timeout=1.5) as stream:
            server.set_time("2025-07-25 09:04")
            events = list(stream)
            trades = [e for e in events if e["type"] == "trade"]
            assert events[0]["type"] == "connected"
            assert len(trades) >= 200, len(trades)
            volumes = [t["cum_volume"] for t in trades]
            assert volumes == sorted(set(volumes)), "each trade once, in order"
            assert all(t["code"] == "005930" and t["price"] > 0 for t in trades)
            assert trades[0]["ts"].strftime("%Y-%m-%d %H") == "2025-07-25 09"
            bars = stream.bars(partial=True)
            rest = server.client().minute_bars("005930")
            assert list(bars["date"]) == list(rest["date"])
            for col in ("open", "high", "low", "close", "volume"):
                assert list(bars[col]) == list(rest[col]), col
            assert bars["volume"].sum() == trades[-1]["cum_volume"]
            assert stream.stats()["reconnects"] == 0
        assert "closed" in repr(stream)


def test_async_iteration():
    import asyncio

    async def first_trade(stream):
        async for ev in stream:
            if ev["type"] == "trade":
                return ev
        return None

    with hantu.kis.LocalServer(env="real", at="2025-07-25 09:00", tape_seed=4, trades_per_sec=1.0) as server:
        with server.stream(["000660"], timeout=3.0) as stream:
            server.set_time("2025-07-25 09:01")
            ev = asyncio.run(first_trade(stream))
            assert ev is not None and ev["code"] == "000660"
