"""The KIS facade against the local KIS server (127.0.0.1 only, no credentials)."""

import asyncio

import hantu
import pandas as pd
import pytest


@pytest.fixture(scope="module")
def server():
    with hantu.kis.LocalServer(cash=5_000_000) as s:
        yield s


def test_quotes_bars_and_balance(server):
    kis = server.client()
    q = kis.quote("005930")
    assert q["code"] == "005930" and q["last"] == server.price("005930") and q["last"] > 0
    end = pd.Timestamp.now(tz="Asia/Seoul").tz_localize(None).normalize()
    bars = kis.daily_bars("005930", end - pd.Timedelta(days=60), end)
    assert list(bars.columns) == ["date", "code", "open", "high", "low", "close", "volume"]
    assert len(bars) > 20 and (bars.code == "005930").all() and bars.date.is_monotonic_increasing
    bal = kis.balance()
    assert bal["cash"] == server.cash() == 5_000_000
    assert kis.positions().empty and kis.open_orders().empty


def test_works_inside_a_running_event_loop(server):
    async def notebook_cell():
        # A Jupyter cell runs while the kernel's asyncio loop is running.
        return server.client().quote("000660")["last"]

    assert asyncio.run(notebook_cell()) == server.price("000660")


def test_errors_have_the_right_class(server):
    kis = server.client()
    with pytest.raises(hantu.ValidationError):
        kis.quote("nope")
    with pytest.raises(hantu.BrokerError):
        kis.quote("999999")
    with pytest.raises(hantu.ConfigError, match="account"):
        hantu.kis.Client("k", "s", "123", url=server.url)
    with pytest.raises(hantu.ConfigError, match="env"):
        hantu.kis.LocalServer(env="moon")
    bad = hantu.kis.Client(server._inner.app_key, "wrong-secret", server.account, url=server.url)
    with pytest.raises(hantu.BrokerError):
        bad.balance()


def test_stop_is_idempotent():
    s = hantu.kis.LocalServer(stocks=3, days=30)
    assert s.running and s.price("000001") > 0
    s.stop()
    s.stop()
    assert not s.running
    with pytest.raises(hantu.BrokerError, match="stopped"):
        s.cash()


def test_orders_fill_and_cancel_during_a_session():
    with hantu.kis.LocalServer(cash=10_000_000, at="2025-07-25 10:00") as s:
        kis = s.client()
        price = s.price("005930")
        odno = kis.buy("005930", 10)
        assert odno.isdigit()
        assert s.holding("005930") == 10
        pos = kis.positions()
        assert list(pos.code) == ["005930"] and pos.qty.iloc[0] == 10
        assert kis.balance()["cash"] < 10_000_000 - 10 * price + 1
        low = int(price * 0.8) // 100 * 100  # inside the ±30% band, on the 100-won tick
        rest = kis.buy("005930", 1, price=low)
        open_ = kis.open_orders()
        assert len(open_) == 1 and int(open_.broker_id.iloc[0]) == int(rest) and open_.qty.iloc[0] == 1
        kis.cancel(rest)
        assert kis.open_orders().empty
        with pytest.raises(hantu.BrokerError):
            kis.sell("000660", 1)  # nothing held
        with pytest.raises(hantu.ValidationError):
            kis.buy("005930", 0)


def test_local_server_takes_chosen_credentials_and_streams():
    with hantu.kis.LocalServer(
        env="real",
        at="2025-07-25 10:00",
        app_key="PSMYKEY" + "0" * 29,
        app_secret="S" * 180,
        account="87654321-01",
        hts_id="myhts",
        apps=[("PSOTHER" + "0" * 29, "T" * 180)],
        tape_seed=7,
        trades_per_sec=2.0,
    ) as s:
        assert s.app_key == "PSMYKEY" + "0" * 29
        assert s.account == "87654321-01"
        assert s.hts_id == "myhts"
        assert s.ws_url.startswith("ws://127.0.0.1:")
        other = hantu.kis.Client("PSOTHER" + "0" * 29, "T" * 180, "87654321-01", env="real", url=s.url)
        assert other.quote("005930")["last"] == s.price("005930")
    with pytest.raises(hantu.ConfigError) as e:
        hantu.kis.LocalServer(app_key="x", account="12", trades_per_sec=0)
    msg = str(e.value)
    assert "app_key/app_secret" in msg and "account" in msg and "trades_per_sec" in msg


def test_condition_search_lists_saved_conditions_and_their_matches():
    # psearch is real-only at KIS: the local server enforces it on a real-environment server.
    with hantu.kis.LocalServer(env="real", stocks=5, at="2025-07-25 10:00") as s:
        kis = s.client()
        titles = kis.conditions(s.hts_id)
        assert list(titles["name"]) == ["거래량상위", "상승률상위"]
        assert len(kis.condition(s.hts_id, "0")) == 5
        gainers = kis.condition(s.hts_id, "1")
        assert gainers.empty and list(gainers.columns) == ["code", "name", "price", "volume"]
        code = str(kis.condition(s.hts_id, "0")["code"].iloc[0])
        s.set_price(code, s.price(code) // 100 * 105)
        up = kis.condition(s.hts_id, "1")
        assert list(up["code"]) == [code] and up["price"].iloc[0] == s.price(code)
