"""Pane 4: the risk checklist — each rule's status as symbol and colour, its value and one line of why.

A risk measured on data older than the pair's as-of session keeps its status symbol, but its label, value and
why are dimmed and the why ends with the date of its data ("VIX 16.0 < 20 · 20 Aug").
"""

from __future__ import annotations

from datetime import date

from msgspec import Struct
from rich.text import Text
from textual.app import ComposeResult
from textual.widget import Widget

from tui.fmt import RISK_MARK, short_date
from tui.model import Risk, Snapshot
from tui.widgets import fmt
from tui.widgets.lines import Grid, Lines, Stack
from tui.widgets.palette import Palette, palette
from tui.widgets.pane import Pane
from tui.widgets.safe import plain
from tui.widgets.scroll_body import ScrollBody


class RisksPart(Struct, frozen=True):
    as_of: date  # the pair's as-of session: a risk measured on older data is dated
    risks: tuple[Risk, ...]


class RisksPane(Pane):
    TITLE = "Risk checklist"
    NUMBER = 4
    EMPTY_TEXT = "No risk rules configured"
    COMPONENT_CLASSES = {"risks--dated"}  # risks measured on older data (app.tcss)

    def compose_body(self) -> ComposeResult:
        with ScrollBody(classes="pane-body", id="risks-body"):
            yield Lines(id="risks-list")

    def body(self) -> Widget:
        return self.query_one("#risks-body")

    def part(self, snapshot: Snapshot) -> RisksPart:
        return RisksPart(snapshot.as_of, snapshot.risks)

    def part_is_empty(self, part: RisksPart) -> bool:
        return not part.risks

    def draw(self, part: RisksPart) -> None:
        colours = palette(self.app)
        dated_style = str(self.get_component_rich_style("risks--dated", partial=True))
        self.query_one("#risks-list", Lines).update(checklist(part.risks, colours, part.as_of, dated_style))
        counts = {s: sum(r.status == s for r in part.risks) for s in ("alert", "watch")}
        summary = Text()
        if counts["alert"]:
            summary.append(f"{counts['alert']} alert", style=f"bold {colours.down}")
        if counts["watch"]:
            if summary:
                summary.append(" ")
            summary.append(f"{counts['watch']} watch", style=f"bold {colours.warn}")
        unknown = sum(r.status == "unknown" for r in part.risks)
        if not summary and unknown:  # nothing flashing, but not everything could be measured: not "all clear"
            summary.append(f"{unknown} unknown", style="dim")
        self.set_title_extra(summary or Text("all clear", style=colours.up))


def status_style(status: str, colours: Palette) -> str:
    return {"ok": colours.up, "watch": colours.warn, "alert": f"bold {colours.down}"}.get(status, "dim")


# Units of each rule's value (SPEC §5): fractions as percentages, the yield change in basis points.
_PERCENT = {"economic", "quality", "breadth"}


def value_text(risk: Risk) -> str:
    if not fmt.finite(risk.value):
        return fmt.MISSING
    value = float(risk.value)  # type: ignore[arg-type]
    if risk.id in _PERCENT:
        return fmt.pct(value)
    if risk.id == "rates":
        return f"{value:+.0f} bp"
    if risk.id == "valuation":
        return f"{value:.2f}×"
    return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}"


# Worst first, so what matters is at the top even when the pane is small; SPEC order within a status.
_RANK = {"alert": 0, "watch": 1, "unknown": 2, "ok": 3}


def ordered(risks: tuple[Risk, ...]) -> list[Risk]:
    return sorted(risks, key=lambda r: _RANK.get(r.status, 2))


def date_label(risk: Risk, as_of: date | None) -> str | None:
    """The date of a measured risk's data when it is older than the pair's as-of session ("20 Aug"), else None.
    An unknown risk says in its why how old its data is."""
    if as_of is None or risk.as_of is None or risk.as_of >= as_of or risk.status == "unknown":
        return None
    return short_date(risk.as_of, as_of)


def checklist(risks: tuple[Risk, ...], colours: Palette, as_of: date | None = None, dated_style: str = "dim") -> Stack:
    """Symbol | label and value, then the why on the next line; wrapped lines keep their indent. A block of
    rows per risk: a refresh renders only the risks that changed. A risk measured on data older than ``as_of``
    (the pair's session) is drawn in ``dated_style``, its why ending with its date."""
    width = max((len(plain(r.label, 28)) for r in risks), default=10)
    blocks = []
    for risk in ordered(risks):
        style = status_style(risk.status, colours)
        dated = date_label(risk, as_of)
        head = Text(plain(risk.label, 28).ljust(width), style="bold" if risk.status != "unknown" else "dim")
        value = value_text(risk) if risk.status != "unknown" else "unknown"
        head.append(f" {value:>7}", style=style if risk.status in ("alert", "unknown") else "")
        why = Text(plain(risk.detail) or fmt.MISSING, style="dim" if risk.status in ("ok", "unknown") else "")
        if dated:
            why.append(f" · {dated}")
            head.stylize(dated_style)
            why.stylize(dated_style)
        blocks.append(
            (
                (Text(RISK_MARK.get(risk.status, "?"), style=style), head),
                ("", why),
            )
        )
    return Grid.blocks(blocks)
