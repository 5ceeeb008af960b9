"""Cost of the board on the live path: its pairs' symbols ride in the batched quote while the market is open, so
an open-market refresh is still ONE request for every symbol (real yfinance against the fake Yahoo server)."""

from __future__ import annotations

from tests.fake_yahoo import END, clock, fake_yahoo, make_bars, make_source, market  # noqa: F401  (fixtures)
from tests.test_yahoo_batch_quotes import FRIDAY_OPEN, move_quotes
from tui.config import Config


def test_an_open_market_refresh_of_every_pair_is_one_quote_request(market, make_source, clock):
    symbols = Config().symbols()
    for seed, symbol in enumerate(symbols):
        if symbol not in market.bars:  # the fake's standard four, plus every sector, risk and board symbol
            market.bars[symbol] = make_bars(END, n=260, start_price=50.0 + seed, seed=100 + seed)
    source = make_source()
    source.fetch(symbols)  # full history into the cache, after END's close
    clock.now = FRIDAY_OPEN
    source.fundamentals(clock.now)  # the day's P/E (also the quote endpoint, once a day): out of the way
    for step in range(2):
        clock.advance(seconds=60)
        served = move_quotes(market, symbols, clock.now, step)
        market.reset_counts()
        data = source.fetch(symbols)
        assert market.count("chart") == 0 and market.count("quote") == 1
        assert [s for e, s, q in market.log if e == "quote"] == [",".join(symbols)]  # one request names them all
        assert {s: q.price for s, q in data.quotes.items()} == {s: p for s, (p, _) in served.items()}
        assert {"IWN", "IWO", "IJH", "QQQ"} <= set(data.quotes)
