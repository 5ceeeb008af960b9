"""Real Yahoo answers (recorded by other projects, ../shared/data/yahoo) fed to the parsers, the fake Yahoo compared
with them, and real yfinance fetching from the fake in that shape.

The expected figures were read off the recorded JSON by hand (PROVENANCE.md says where each body comes from); the
New York dates are those of the recorded epoch timestamps. A test that reads a recording is skipped, with the
reason, when ../shared is absent; the last section (yfinance through the fake) needs no recording.
"""

from __future__ import annotations

import http.client
import json
import math
import re
from datetime import date, datetime, timezone
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from tests import recordings as rec
from tests.fake_yahoo import END, PAIR, as_sent, clock, fake_yahoo, make_bars, make_source, market  # noqa: F401  (fixtures)
from tests.test_yahoo_faults import ONE_S
from tui.data.yahoo_parse import SymbolProblem, UnknownSymbol, parse_batch_quotes, parse_chart

NY = ZoneInfo("America/New_York")
CHICAGO = ZoneInfo("America/Chicago")
#: Meta fields Yahoo added in 2026 (in the ^SOX and yfinance recordings, not in the older ones).
FIELDS_OF_2026 = ("regularMarketChangePercent", "fulldayPrice", "fulldayChange", "fulldayChangePercent")


def chart_result(name: str) -> dict:
    return rec.body(name)["chart"]["result"][0]


def day(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


# -- the parsers on recorded bodies --------------------------------------------------------------------------------


def test_an_index_month_of_daily_bars():
    chart = parse_chart(rec.body(rec.SOX_DAILY), "^SOX")
    bars = chart.bars
    assert len(bars) == 20
    assert (bars.index[0], bars.index[-1]) == (day("2026-09-08"), day("2026-10-05"))
    assert not chart.reordered and chart.null_days == []
    # The float32 values Yahoo sent, kept as sent.
    assert bars["close"].iloc[-1] == 13128.23046875 and bars["adj_close"].iloc[-1] == 13128.23046875
    assert bars["close"].iloc[0] == 11887.8701171875
    assert (bars["volume"] == 0).all()  # an index has no volume: 0 is a volume, kept
    assert chart.meta["chartPreviousClose"] == 11735.26


@pytest.mark.parametrize(
    "name,symbol,close,previous",
    [
        (rec.AMZN_DAY, "AMZN", 249.6699981689453, 249.38),
        (rec.MSFT_DAY, "MSFT", 516.1699829101562, 497.93),
    ],
)
def test_a_one_day_range_is_one_bar_and_carries_no_previous_close(name, symbol, close, previous):
    chart = parse_chart(rec.body(name), symbol)
    assert list(chart.bars.index) == [day("2026-09-25")]
    assert chart.bars["close"].iloc[0] == close
    assert chart.meta["chartPreviousClose"] == previous and "previousClose" not in chart.meta


def test_a_year_of_bars_with_dividend_events():
    chart = parse_chart(rec.body(rec.MSFT_DIVIDENDS), "MSFT")
    bars = chart.bars
    assert len(bars) == 252 and bars.index.is_unique and not chart.reordered
    assert (bars.index[0], bars.index[-1]) == (day("2021-02-01"), day("2022-01-28"))
    assert (bars["close"].iloc[0], bars["adj_close"].iloc[0]) == (239.64999389648438, 231.1864776611328)
    assert (bars["close"].iloc[-1], bars["adj_close"].iloc[-1]) == (308.260009765625, 299.8661193847656)
    # The ex-dividend days are ordinary sessions among the bars.
    assert {day(d) for d in ("2021-02-17", "2021-05-19", "2021-08-18", "2021-11-17")} <= set(bars.index)
    assert chart.meta["range"] == ""  # a period1/period2 request


def test_a_window_with_no_session_is_empty_and_no_error():
    chart = parse_chart(rec.body(rec.AAPL_NO_SESSION), "AAPL")
    assert chart.bars.empty and chart.null_days == [] and not chart.reordered
    assert chart.meta["regularMarketPrice"] == 244.87


def test_ten_year_yield_in_chicago_time_lands_on_its_new_york_date():
    """^TNX's 5-minute bars from 12:45 to 13:55 CST: all of them 2 Feb 2026 in New York. The daily parser keeps the
    latest bar of the day (so it reports the 14 earlier ones as same-day duplicates)."""
    chart = parse_chart(rec.body(rec.TNX_INTRADAY), "^TNX")
    assert chart.meta["exchangeTimezoneName"] == "America/Chicago"
    assert list(chart.bars.index) == [day("2026-02-02")]
    assert chart.bars["close"].iloc[0] == 4.275000095367432
    assert chart.reordered


def test_zeros_are_not_prices():
    """KOSPI-25: open, high and low are 0.0 and the one bar is stamped at regularMarketTime (20:05 KST on 2 Oct,
    07:05 in New York the same day). The zeros become missing values; the close and the volume of 0 stay."""
    chart = parse_chart(rec.body(rec.KOSPI_DAILY), "KOSPI-25.KS")
    assert list(chart.bars.index) == [day("2026-10-02")]
    bar = chart.bars.iloc[0]
    assert bar["close"] == 46539.140625 and bar["adj_close"] == 46539.140625 and bar["volume"] == 0
    assert all(math.isnan(bar[c]) for c in ("open", "high", "low"))


def test_a_zero_close_is_a_null_day_not_a_price():
    payload = rec.body(rec.KOSPI_DAILY)
    payload["chart"]["result"][0]["indicators"]["quote"][0]["close"] = [0.0]
    chart = parse_chart(payload, "KOSPI-25.KS")
    assert chart.bars.empty and chart.null_days == [date(2026, 10, 2)]


def test_recorded_error_bodies_give_the_right_exception():
    with pytest.raises(UnknownSymbol):
        parse_chart(rec.body(rec.CHART_404), "^GSPC")
    with pytest.raises(SymbolProblem, match=r"5m data not available .* within the last 60 days"):
        parse_chart(rec.body(rec.CHART_422), "^GSPC")
    # The 401 is the quote endpoint's: not a batch answer, and no chart answer either.
    assert parse_batch_quotes(rec.body(rec.QUOTE_401)) is None
    with pytest.raises(SymbolProblem, match="malformed"):
        parse_chart(rec.body(rec.QUOTE_401), "^GSPC")


@pytest.mark.parametrize(
    "name,want",
    [
        (rec.QUOTE_AAPL_BABA, {"AAPL": (244.6, 1739566800.0), "BABA": (124.73, 1739566802.0)}),
        (rec.QUOTE_QQQ, {"QQQ": (538.15, 1739566801.0)}),
    ],
)
def test_recorded_quote_batches(name, want):
    assert parse_batch_quotes(rec.body(name)) == want


def test_the_consent_page_is_not_json():
    rec.require(rec.CONSENT_PAGE)
    page = rec.recorded(rec.CONSENT_PAGE).text
    assert page.lstrip().startswith("<!DOCTYPE html>") and 'name="csrfToken"' in page
    with pytest.raises(ValueError):
        json.loads(page)


# -- the fake answers like the recordings ---------------------------------------------------------------------------


def get(server, path: str, **headers) -> tuple[int, dict[str, str], str]:
    """One request to the fake, redirects not followed: (status, lower-case headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read().decode()
    finally:
        conn.close()


def fake_chart(server, symbol: str, query: str) -> dict:
    status, _, text = get(server, f"/query2.finance.yahoo.com/v8/finance/chart/{symbol.replace('^', '%5E')}?{query}")
    assert status == 200, text
    return json.loads(text)["chart"]["result"][0]


def local_times(period: dict, zone: ZoneInfo) -> tuple[str, str, str, int]:
    return (
        datetime.fromtimestamp(period["start"], zone).strftime("%H:%M"),
        datetime.fromtimestamp(period["end"], zone).strftime("%H:%M"),
        period["timezone"],
        period["gmtoffset"],
    )


def without_2026_fields(meta: dict) -> list[str]:
    return [k for k in meta if k not in FIELDS_OF_2026]


def test_fake_index_meta_has_the_recorded_keys_and_listing(market):
    recorded = chart_result(rec.SOX_DAILY)
    market.bars["^SOX"] = make_bars(END, n=60, start_price=12000.0, seed=11)
    fake = fake_chart(market, "^SOX", "range=1mo&interval=1d")
    assert list(fake["meta"]) == list(recorded["meta"])  # the same 29 keys, in the same order
    assert list(fake) == list(recorded) and list(fake["indicators"]) == ["quote", "adjclose"]
    for key in (
        "exchangeName",
        "fullExchangeName",
        "instrumentType",
        "firstTradeDate",
        "exchangeTimezoneName",
        "hasPrePostMarketData",
        "priceHint",
        "longName",
        "dataGranularity",
        "range",
        "validRanges",
    ):
        assert fake["meta"][key] == recorded["meta"][key], key
    for name in ("pre", "regular", "post"):  # the same hours, in New York time (EST in January, EDT in October)
        assert (
            local_times(fake["meta"]["currentTradingPeriod"][name], NY)[:2]
            == local_times(recorded["meta"]["currentTradingPeriod"][name], NY)[:2]
        )


def test_fake_ten_year_yield_is_a_chicago_index_as_recorded(market):
    recorded = chart_result(rec.TNX_INTRADAY)
    market.bars["^TNX"] = make_bars(END, n=30, start_price=4.2, seed=12)
    session = datetime(2026, 1, 16, 19, 0, tzinfo=timezone.utc)  # 13:00 CST on the day after END
    market.set_intraday("^TNX", 4.745, session)
    fake = fake_chart(market, "^TNX", "range=1d&interval=5m")
    meta = fake["meta"]
    assert without_2026_fields(meta) == list(recorded["meta"])  # previousClose, scale, tradingPeriods included
    for key in (
        "exchangeName",
        "fullExchangeName",
        "instrumentType",
        "firstTradeDate",
        "exchangeTimezoneName",
        "timezone",
        "gmtoffset",
        "priceHint",
        "longName",
        "hasPrePostMarketData",
    ):
        assert meta[key] == recorded["meta"][key], key
    for name in ("pre", "regular", "post"):  # 7:20 to 14:00 Chicago time, no extended hours
        assert local_times(meta["currentTradingPeriod"][name], CHICAGO) == local_times(
            recorded["meta"]["currentTradingPeriod"][name], CHICAGO
        )
    assert [local_times(p, CHICAGO) for p in meta["tradingPeriods"][0]] == [("07:20", "14:00", "CST", -21600)]
    assert list(fake["indicators"]) == list(recorded["indicators"]) == ["quote"]  # no adjclose on minute bars
    assert fake["timestamp"] == [int(session.timestamp())]
    assert fake["indicators"]["quote"][0]["close"] == [4.744999885559082]  # float32, as Yahoo sends 4.745
    assert meta["regularMarketPrice"] == 4.745  # the meta carries the plain value
    assert meta["previousClose"] == meta["chartPreviousClose"] == market.bars["^TNX"]["close"].iloc[-1]

    daily = fake_chart(market, "^TNX", "range=5d&interval=1d")  # daily bars stamped at the 7:20 CT open
    opens = [datetime.fromtimestamp(t, CHICAGO) for t in daily["timestamp"]]
    assert {t.strftime("%H:%M") for t in opens} == {"07:20"}
    assert [t.date() for t in opens] == [d.date() for d in market.bars["^TNX"].index[-4:]] + [date(2026, 1, 16)]


def test_recorded_prices_are_float32_and_so_are_the_fakes(market):
    recorded = chart_result(rec.TNX_INTRADAY)["indicators"]["quote"][0]
    assert all(as_sent(v) == v for k in ("open", "high", "low", "close") for v in recorded[k])
    fake = fake_chart(market, "IWM", "range=1mo&interval=1d")["indicators"]
    sent = [v for k in ("open", "high", "low", "close") for v in fake["quote"][0][k]] + fake["adjclose"][0]["adjclose"]
    assert all(as_sent(v) == v for v in sent)
    assert all(isinstance(v, int) for v in fake["quote"][0]["volume"])
    held = market.bars["IWM"]["close"].iloc[-21:].tolist()  # 4-decimal prices: not float32 values themselves
    assert fake["quote"][0]["close"] == [as_sent(v) for v in held] != held


def test_fake_one_day_range_has_the_recorded_keys(market):
    recorded = chart_result(rec.AMZN_DAY)
    fake = fake_chart(market, "IWM", "range=1d&interval=1d")
    assert list(fake["meta"]) == list(recorded["meta"])  # no previousClose on daily bars
    assert len(fake["timestamp"]) == 1


def test_fake_period_request_with_dividends_has_the_recorded_shape(market):
    recorded = chart_result(rec.MSFT_DIVIDENDS)
    paid = {date(2025, 12, 17): 0.7, date(2025, 3, 19): 0.6}  # ex-dates, both sessions of the served bars
    market.dividends["IWM"] = paid
    start, end = (int(datetime(y, m, d, tzinfo=NY).timestamp()) for y, m, d in ((2025, 6, 2), (2026, 1, 16)))
    fake = fake_chart(market, "IWM", f"interval=1d&events=div&period1={start}&period2={end}")
    assert without_2026_fields(fake["meta"]) == list(recorded["meta"]) and fake["meta"]["range"] == ""
    assert list(fake) == list(recorded) == ["meta", "timestamp", "events", "indicators"]
    dividends = fake["events"]["dividends"]
    stamp = int(datetime(2025, 12, 17, 9, 30, tzinfo=NY).timestamp())  # the ex-date's bar, as recorded for MSFT
    assert dividends == {str(stamp): {"amount": 0.7, "date": stamp}}  # March is before the window
    assert stamp in fake["timestamp"]
    assert all(set(v) == {"amount", "date"} and str(v["date"]) == k for k, v in recorded["events"]["dividends"].items())
    assert "events" not in fake_chart(market, "IWM", f"interval=1d&period1={start}&period2={end}")  # not asked


@pytest.mark.parametrize(
    "query,fault",
    [
        ("interval=1m&period1={sat}&period2={sun}", None),  # a weekend: no session at all
        ("interval=1m&period1={sat}&period2={sun}", "no_session"),
        ("range=5d&interval=1d", "no_session"),
    ],
)
def test_fake_window_with_no_session_has_the_recorded_shape(market, query, fault):
    recorded = chart_result(rec.AAPL_NO_SESSION)
    if fault:
        market.fault(fault)
    sat, sun = (int(datetime(2026, 1, d, tzinfo=NY).timestamp()) for d in (10, 11))
    fake = fake_chart(market, "IWM", query.format(sat=sat, sun=sun))
    assert list(fake) == list(recorded) == ["meta", "indicators"]  # no "timestamp" key
    assert fake["indicators"] == recorded["indicators"] == {"quote": [{}]}
    if "1m" in query:
        assert without_2026_fields(fake["meta"]) == list(recorded["meta"])  # previousClose and scale, no periods
    assert parse_chart({"chart": {"result": [fake], "error": None}}, "IWM").bars.empty


def kind(value) -> str:
    """A JSON value's kind, numbers as one (Yahoo writes 536 for 536.0)."""
    return "number" if isinstance(value, (int, float)) and not isinstance(value, bool) else type(value).__name__


def test_fake_quote_items_have_recorded_fields(market):
    recorded = rec.body(rec.QUOTE_QQQ)["quoteResponse"]["result"][0]  # an ETF's item
    status, headers, text = get(market, "/query1.finance.yahoo.com/v7/finance/quote?symbols=IWM,SPY,NOPE")
    answer = json.loads(text)
    assert status == 200 and headers["content-type"].startswith("application/json")
    assert list(answer["quoteResponse"]) == ["result", "error"] and answer["quoteResponse"]["error"] is None
    items = answer["quoteResponse"]["result"]
    assert [item["symbol"] for item in items] == ["IWM", "SPY"]  # the unknown symbol is left out
    for item in items:
        assert set(item) <= set(recorded), set(item) - set(recorded)
        assert all(kind(item[k]) == kind(recorded[k]) for k in item), [(k, item[k], recorded[k]) for k in item]
        assert item["quoteType"] == recorded["quoteType"] == "ETF"
        assert item["regularMarketPrice"] == market.bars[item["symbol"]]["close"].iloc[-1]  # plain, not float32
    assert items[0]["trailingPE"] == 17.5  # the info the test gave


# -- recorded answers as fault kinds --------------------------------------------------------------------------------

CHART_PATH = "/query2.finance.yahoo.com/v8/finance/chart/%5EGSPC?range=5d&interval=1d"
QUOTE_PATH = "/query1.finance.yahoo.com/v7/finance/quote?symbols=IWM,SPY"


@pytest.mark.parametrize(
    "kind,endpoint,path,status,name",
    [
        ("no_data", "chart", CHART_PATH, 404, rec.CHART_404),
        ("not_available", "chart", CHART_PATH, 422, rec.CHART_422),
        ("unauthorized", "quote", QUOTE_PATH, 401, rec.QUOTE_401),
        ("html", "chart", CHART_PATH, 200, rec.CONSENT_PAGE),
        ("html", "quote", QUOTE_PATH, 200, rec.CONSENT_PAGE),
    ],
)
def test_recorded_answers_as_faults(market, kind, endpoint, path, status, name):
    market.fault(kind, endpoint=endpoint)
    got_status, headers, text = get(market, path)
    assert (got_status, text) == (status, rec.recorded(name).text)
    assert headers["content-type"].startswith("text/html" if kind == "html" else "application/json")
    market.clear_faults()
    assert get(market, path)[0] == 200


def test_a_429_carries_the_recorded_body(market):
    rec.require(rec.BODY_429)
    market.fault("status", 429)
    assert get(market, CHART_PATH)[::2] == (429, "Edge: Too Many Requests")


@pytest.mark.parametrize(
    "endpoint,path",
    [
        ("chart", CHART_PATH),
        ("quote", QUOTE_PATH),
        ("cookie", "/fc.yahoo.com/"),
        ("crumb", "/query1.finance.yahoo.com/v1/test/getcrumb"),
    ],
)
def test_consent_flow_as_recorded_and_never_leaving_the_fake(market, endpoint, path):
    market.fault("consent", endpoint=endpoint)
    status, headers, text = get(market, path)
    assert (status, text) == (307, "") and headers["set-cookie"].startswith("GUCS=")
    location = urlsplit(headers["location"])
    assert headers["location"].startswith(f"{market.url}/guce.yahoo.com/consent?")
    query = parse_qs(location.query)
    assert query["brandType"] == ["nonEu"] and query["done"] == ["https:/" + path]  # back to what was asked

    status, headers, text = get(market, f"{location.path}?{location.query}")
    assert (status, text) == (302, "")
    assert headers["location"] == (
        f"{market.url}/consent.yahoo.com/v2/collectConsent?sessionId=3_cc-session_dcf322f7-c2b7-4e77-9e32-36143f8f7c5d"
    )

    consent = urlsplit(headers["location"])
    status, headers, text = get(market, f"{consent.path}?{consent.query}")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert text == rec.recorded(rec.CONSENT_PAGE).text and len(text) > 90_000
    assert (market.count("guce"), market.count("collectConsent")) == (1, 1)

    market.clear_faults()  # a US visitor again: no consent pages
    assert get(market, f"{location.path}?{location.query}")[0] == 404


# -- the app and real yfinance against the fake ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind,words",
    [
        ("html", "Yahoo answered with a web page instead of data (HTTP 200)"),
        ("consent", "Yahoo answered with its cookie-consent page instead of data"),
    ],
)
def test_a_web_page_instead_of_data_is_a_yahoo_level_reason(market, make_source, clock, kind, words):
    """A web page is never one symbol's problem (every request of the round would get it): one reason in plain
    words, the round stops, the source backs off."""
    source = make_source()
    source.fetch(PAIR)
    market.fault(kind, symbol="^GSPC")
    clock.advance(minutes=1)
    data = source.fetch(PAIR)
    assert data.stale and len(data.errors) == 1 and re.fullmatch(re.escape(words) + ONE_S, data.errors[0])
    if kind == "consent":  # the client really was walked through the consent pages, all on the fake
        assert (market.count("guce"), market.count("collectConsent")) == (1, 1)


def test_yfinance_fetches_the_ten_year_yield_in_chicago_time(market, make_source):
    """Through YahooSource: our 5-day chart request, then yfinance's full history with the America/Chicago
    timezone seeded from it; every bar on its own New York date, each close the float32 value sent."""
    bars = make_bars(END, n=120, start_price=4.2, seed=13)
    bars.loc[bars.index[-1], "close"] = 4.745
    market.bars["^TNX"] = bars
    source = make_source()
    data = source.fetch(["^TNX"])
    assert not data.stale and data.errors == []
    closes = data.closes["^TNX"]
    assert list(closes.index) == list(bars.index)
    assert closes.tolist() == market.sent_closes("^TNX").tolist()
    assert closes.iloc[-1] == 4.744999885559082
    assert any("period1" in q for e, s, q in market.log if e == "chart" and s == "^TNX")  # yfinance's request

    from tui.data.yahoo_session import quiet_yfinance

    assert quiet_yfinance().cache.get_tz_cache().lookup("^TNX") == "America/Chicago"


def test_yfinance_fetches_a_dividend_paying_etf(market, make_source):
    market.dividends["IWM"] = {date(2025, 12, 17): 0.7, date(2025, 9, 24): 0.65}
    source = make_source()
    data = source.fetch(["IWM"])
    assert not data.stale and data.errors == []
    assert data.closes["IWM"].tolist() == market.sent_closes("IWM").tolist()

    from tui.data.yahoo_session import quiet_yfinance

    history = (
        quiet_yfinance()
        .Ticker("IWM", session=source.transport.session)
        .history(period="max", interval="1d", auto_adjust=False, actions=True)
    )
    paid = history.loc[history["Dividends"] != 0, "Dividends"]
    assert [(t.date(), v) for t, v in paid.items()] == [(date(2025, 9, 24), 0.65), (date(2025, 12, 17), 0.7)]
