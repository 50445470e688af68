import hantu
import numpy as np
import pandas as pd
import pytest


def write_csv(path, rows):
    path.write_text("date,open,high,low,close,volume\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))


def test_read_csv_dir_long_frame(tmp_path):
    write_csv(tmp_path / "005930.csv", [("2024-01-02", 100, 110, 90, 105, 1000), ("2024-01-03", 105, 120, 100, 118, 2000)])
    write_csv(tmp_path / "000660.csv", [("2024-01-03", 200, 210, 190, 205, 500)])
    df = hantu.data.read_csv_dir(tmp_path)
    assert list(df.columns) == ["date", "code", "open", "high", "low", "close", "volume"]
    assert list(df.code) == ["005930", "000660", "005930"]
    assert list(df.date) == [pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-03"), pd.Timestamp("2024-01-03")]
    assert df.close.tolist() == [105, 205, 118]
    assert df.volume.tolist() == [1000, 500, 2000]


def test_read_csv_dir_bad_rows_warn_or_raise(tmp_path):
    write_csv(tmp_path / "005930.csv", [("2024-01-02", 100, 110, 90, 105, 1000), ("2024-01-03", 105, 90, 100, 118, 2000)])
    with pytest.warns(UserWarning, match="005930.csv"):
        df = hantu.data.read_csv_dir(tmp_path)
    assert len(df) == 1
    with pytest.raises(hantu.DataError, match="line 3"):
        hantu.data.read_csv_dir(tmp_path, strict=True)


def test_read_csv_dir_missing_folder(tmp_path):
    with pytest.raises(hantu.DataError, match="nope"):
        hantu.data.read_csv_dir(tmp_path / "nope")


def test_frame_errors_name_the_problem(bars):
    with pytest.raises(hantu.DataError, match="missing column"):
        hantu.backtest(bars.drop(columns="volume"), hantu.Strategy())
    bad = bars.copy()
    bad.loc[5, "high"] = 1.0
    with pytest.raises(hantu.DataError, match="row 5"):
        hantu.backtest(bad, hantu.Strategy())
    bad = bars.copy()
    bad["code"] = bad["code"].str.replace("005930", "5930")
    with pytest.raises(hantu.DataError, match="5930"):
        hantu.backtest(bad, hantu.Strategy())
    dup = pd.concat([bars, bars.iloc[:1]])
    with pytest.raises(hantu.DataError, match="duplicated|out of order"):
        hantu.backtest(dup, hantu.Strategy())


def test_integer_codes_get_their_leading_zeros_back(bars):
    as_int = bars.assign(code=bars.code.astype(int))
    a = hantu.backtest(as_int, "sma-cross")
    b = hantu.backtest(bars, "sma-cross")
    assert set(a.fills.code) <= {"005930", "000660", "035420"}
    pd.testing.assert_frame_equal(a.fills, b.fills)


def test_etn_short_codes_are_read_and_traded_as_etns(tmp_path):
    # KRX lists ETNs under `Q` + 6 characters; a daily folder holds them beside the stocks.
    rows = [(f"2024-01-{d:02d}", 10_000 + 5 * d, 10_100 + 5 * d, 9_900 + 5 * d, 10_000 + 5 * d, 5000) for d in range(2, 31)]
    write_csv(tmp_path / "Q520057.csv", rows)
    write_csv(tmp_path / "005930.csv", rows)
    df = hantu.data.read_csv_dir(tmp_path, strict=True)
    assert set(df.code) == {"005930", "Q520057"}

    class BuyThenSell(hantu.Strategy):
        def on_bar(self, ctx, bar):
            if ctx.qty(bar.code) == 0 and not ctx.has_open_order(bar.code) and bar.date.day < 10:
                ctx.buy(bar.code, 10)
            elif ctx.qty(bar.code) > 0 and bar.date.day > 20 and not ctx.has_open_order(bar.code):
                ctx.sell(bar.code, ctx.qty(bar.code))

    r = hantu.backtest(df, BuyThenSell())
    sells = r.fills[r.fills.side == "sell"].set_index("code")
    # An ETN pays no transaction tax on a sale; a stock does.
    assert sells.loc["Q520057", "tax"] == 0 and sells.loc["005930", "tax"] > 0
