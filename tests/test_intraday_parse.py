"""Reading Yahoo's minute-bar chart answers (issue 13, item 2) from the recorded real bodies in ../shared/data/yahoo
(skipped with the reason when absent): ^TNX's 5-minute day in America/Chicago, range=1d answers with and without
``previousClose``, a window with no session, the 422. Expected values are read from the bodies themselves."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from tests import recordings as rec
from tui.data.yahoo_parse import SymbolProblem, parse_intraday

NY = ZoneInfo("America/New_York")


def test_tnx_five_minute_day_in_chicago_time():
    body = rec.body(rec.TNX_INTRADAY)
    result = body["chart"]["result"][0]
    meta = result["meta"]
    assert meta["exchangeTimezoneName"] == "America/Chicago" and meta["dataGranularity"] == "5m"
    chart = parse_intraday(body, "^TNX")
    # The bars' New York date: 12:45 to 13:55 in Chicago is 13:45 to 14:55 in New York, the same Monday.
    assert chart.session == date(2026, 2, 2)
    assert [int(t.timestamp()) for t in chart.times] == result["timestamp"]
    assert list(chart.prices) == result["indicators"]["quote"][0]["close"]  # float32 values, as sent
    assert all(t.tzinfo is timezone.utc for t in chart.times)
    # range=1d carries both previous closes; in the recording they agree, and previousClose is the one read.
    assert meta["previousClose"] == meta["chartPreviousClose"] == chart.previous_close
    assert (chart.price, int(chart.price_time.timestamp())) == (meta["regularMarketPrice"], meta["regularMarketTime"])


@pytest.mark.parametrize("name", [rec.AMZN_DAY, rec.MSFT_DAY])
def test_range_1d_without_previous_close_falls_back_to_chart_previous_close(name):
    body = rec.body(name)
    meta = body["chart"]["result"][0]["meta"]
    assert "previousClose" not in meta and meta["range"] == "1d"
    chart = parse_intraday(body, meta["symbol"])
    assert chart.previous_close == meta["chartPreviousClose"]
    stamp = body["chart"]["result"][0]["timestamp"][0]
    assert chart.times == (datetime.fromtimestamp(stamp, timezone.utc),)
    assert chart.session == datetime.fromtimestamp(stamp, NY).date()
    assert chart.prices == tuple(body["chart"]["result"][0]["indicators"]["quote"][0]["close"])


def test_a_window_with_no_session_has_no_bars_and_is_no_error():
    body = rec.body(rec.AAPL_NO_SESSION)
    assert "timestamp" not in body["chart"]["result"][0]
    chart = parse_intraday(body, "AAPL")
    assert chart.session is None and chart.times == () and chart.prices == ()


def test_the_422_is_a_plain_reason_without_yahoos_epochs():
    body = rec.body(rec.CHART_422)
    with pytest.raises(SymbolProblem) as caught:
        parse_intraday(body, "^RUT")
    assert caught.value.kind == "unavailable"
    assert str(caught.value) == (
        "Yahoo has no 5-minute bars for ^RUT (Unprocessable Entity: 5m data not available. "
        "The requested range must be within the last 60 days.)"
    )


def test_null_minutes_are_dropped_and_a_repeated_stamp_keeps_the_later_bar():
    body = {
        "chart": {
            "result": [
                {
                    "meta": {"chartPreviousClose": 10.0},
                    "timestamp": [1768573800, 1768574100, 1768574100, 1768574400],
                    "indicators": {"quote": [{"close": [10.5, None, 10.75, 10.25]}]},
                }
            ],
            "error": None,
        }
    }
    chart = parse_intraday(body, "X")
    assert [int(t.timestamp()) for t in chart.times] == [1768573800, 1768574100, 1768574400]
    assert chart.prices == (10.5, 10.75, 10.25) and chart.previous_close == 10.0 and chart.price is None


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        {"chart": None},
        {"chart": {"result": [{"timestamp": [1, 2], "indicators": {"quote": [{"close": [1]}]}}]}},
    ],
)
def test_malformed_answers_are_a_problem_not_a_crash(body):
    with pytest.raises(SymbolProblem):
        parse_intraday(body, "X")
