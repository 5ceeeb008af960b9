"""Data layer: sources of daily closes and intraday quotes, the SQLite cache and the market clock.

Nothing here imports Textual; the UI consumes :class:`tui.data.base.MarketData`.
"""
