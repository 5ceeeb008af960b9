"""Pane 1: the streak — a big counter, who leads since when, both sides' returns, its rank, today's race."""

from __future__ import annotations

from msgspec import Struct
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widget import Widget

from tui.model import Premarket, Provisional, Snapshot, Streak, StreakRun
from tui.widgets import fmt
from tui.widgets.bignum import BigNumber
from tui.widgets.lines import Grid, Lines, Stack
from tui.widgets.palette import Palette, palette
from tui.widgets.pane import Pane, mounted_child
from tui.widgets.safe import plain
from tui.widgets.scroll_body import ScrollBody


class StreakPart(Struct, frozen=True):
    small: str
    large: str
    streak: Streak
    provisional: Provisional | None
    earlier: tuple[StreakRun, ...] = ()  # the runs just before the current streak, newest first
    delayed: bool = False  # today's race rests on quotes older than DELAYED_AFTER (Snapshot.provisional_delayed)
    premarket: Premarket | None = None  # the futures read, before the open of a session day


EARLIER = 6  # runs listed under "Before": context for the current one


class StreakPane(Pane):
    TITLE = "Streak"
    NUMBER = 1
    EMPTY_TEXT = "Not enough sessions to compute a streak"
    COMPONENT_CLASSES = {"streak--delayed"}  # today's race on quotes older than DELAYED_AFTER (app.tcss)

    def compose_body(self) -> ComposeResult:
        with ScrollBody(classes="pane-body", id="streak-body"):
            with Horizontal(id="streak-head"):
                yield BigNumber("", id="streak-count")
                yield Lines(id="streak-headline")
            yield Lines(id="streak-details")
            # (today's race and the pre-market read come here, mounted the first time there is one: _today_line)
            yield Lines(id="streak-earlier")

    def body(self) -> Widget:
        return self.query_one("#streak-body")

    def part(self, snapshot: Snapshot) -> StreakPart:
        # Runs are in date order: walk back from the newest (not through all ~4,800 runs on every snapshot).
        start, earlier = snapshot.streak.start, []
        for run in reversed(snapshot.runs):
            if len(earlier) == EARLIER:
                break
            if start is None or run.end < start:
                earlier.append(run)
        return StreakPart(
            snapshot.small,
            snapshot.large,
            snapshot.streak,
            snapshot.provisional,
            tuple(earlier),
            snapshot.provisional_delayed,
            snapshot.premarket,
        )

    def part_is_empty(self, part: StreakPart) -> bool:
        return part.streak.end is None and part.provisional is None

    def fit_to_size(self) -> None:
        self.redraw()  # the return line drops its "gap" when narrow

    def draw(self, part: StreakPart) -> None:
        colours = palette(self.app)
        streak = part.streak
        digits = self.query_one("#streak-count", BigNumber)
        digits.update(str(streak.length))
        for side in ("small", "large", "none"):
            digits.set_class(streak.leader == side, f"-{side}")
        self.query_one("#streak-headline", Lines).update(headline(part, colours))
        width = self.size.width - 1 if self.size.width else 60  # content width, less a scrollbar
        self.query_one("#streak-details", Lines).update(details(part, colours, width))
        earlier = self.query_one("#streak-earlier", Lines)
        # On a short screen during the session, today's race gets the room (the pane must not need scrolling).
        today_line = part.provisional is not None or part.premarket is not None
        earlier.display = bool(part.earlier) and not (today_line and self.screen.has_class("-short"))
        earlier.update(earlier_runs(part, colours, width))
        # Between the details and the earlier runs, in this order whichever comes first: today's race, then the
        # pre-market read.
        provisional = self._today_line("streak-provisional", part.provisional is not None, after="#streak-details")
        if provisional is not None:
            delayed_style = str(self.get_component_rich_style("streak--delayed", partial=True))
            provisional.update(race(part, colours, delayed_style, width))
        futures = self._today_line("streak-premarket", part.premarket is not None, before="#streak-earlier")
        if futures is not None:
            futures.update(premarket(part, colours, width))

    def _today_line(self, id: str, shown: bool, *, after: str | None = None, before: str | None = None) -> Lines | None:
        """The line ``id`` (today's race or the pre-market read) if ``shown``, mounted ``after`` or ``before`` a
        sibling the first time (most starts are outside the session: none composed, none styled); else hidden."""
        body = self.query_one("#streak-body")
        if not shown:
            for line in body.query_children(f"#{id}"):
                line.display = False
            return None
        shown_line = mounted_child(body, f"#{id}", lambda: Lines(id=id), after=after, before=before)
        shown_line.display = True
        return shown_line


def leader_name(part: StreakPart, side: str) -> str:
    if side == "small":
        return fmt.name_of(part.small)
    if side == "large":
        return fmt.name_of(part.large)
    return "Neither side"


def headline(part: StreakPart, colours: Palette) -> Text:
    streak = part.streak
    if streak.leader == "none" or streak.length == 0:
        return Text.assemble(
            ("No streak\n", "bold"),
            ("the last session was a tie\n", "dim"),
            (fmt.day(streak.end), "dim"),
        )
    return Text.assemble(
        (f"{leader_name(part, streak.leader)} ahead\n", f"bold {colours.side(streak.leader)}"),
        ("session in a row\n" if streak.length == 1 else "sessions in a row\n", "dim"),
        ("since ", "dim"),
        (fmt.day(streak.start), ""),
    )


def _grid(rows: list[tuple[str | Text, Text]]) -> Stack:
    """Dim labels and their values, a row per block: a refresh renders only the rows that changed."""
    return Grid.blocks([(row,) for row in rows], label_style="dim")


def details(part: StreakPart, colours: Palette, width: int = 80) -> Stack | Text:
    streak = part.streak
    if streak.leader == "none" or streak.length == 0:
        return Text("A tie ends any streak; the next session starts a new one.", style="dim")
    small, large = fmt.short_of(part.small), fmt.short_of(part.large)
    rows: list[tuple[str | Text, Text]] = []
    returns = Text.assemble(
        f"{small} ",
        (fmt.pct(streak.small_return), colours.sign(streak.small_return)),
        f"  {large} ",
        (fmt.pct(streak.large_return), colours.sign(streak.large_return)),
    )
    gap = _gap(streak.small_return, streak.large_return)
    gap_text = f"  gap {gap:+.1f} pp" if gap is not None else ""
    if gap_text and len("Return ") + returns.cell_len + len(gap_text) <= width:
        returns.append(gap_text, style="dim")
    rows.append(("Return", returns))
    if streak.longest_since is not None:
        since = streak.longest_since
        rows.append(
            ("Longest", Text.assemble("since ", (fmt.short_day(since.end), "bold"), (f" ({since.length})", "dim")))
        )
    elif streak.record_length is not None:
        rows.append(("Longest", Text("on record", style=f"bold {colours.warn}")))
    record = Text(fmt.sessions(streak.record_length) if streak.record_length is not None else fmt.MISSING)
    if streak.percentile is not None:
        record.append(" · ", style="dim")
        record.append(f"{fmt.percentile(streak.percentile)} pct", style="bold")
    rows.append(("Record", record))
    return _grid(rows)


def earlier_runs(part: StreakPart, colours: Palette, width: int) -> Text:
    """ "Before  SPX 6 · RUT 1 · SPX 2": the runs leading up to this one, as many as fit on one line."""
    small, large = fmt.short_of(part.small), fmt.short_of(part.large)
    text = Text("Before  ", style="dim")
    for i, run in enumerate(part.earlier):
        name = small if run.leader == "small" else large if run.leader == "large" else "tie"
        item = f"{' · ' if i else ''}{name} {run.length}"
        if text.cell_len + len(item) > width:
            break
        if i:
            text.append(" · ", style="dim")
        text.append(f"{name} {run.length}", style=colours.side(run.leader))
    return text


def race(part: StreakPart, colours: Palette, delayed_style: str = "dim", width: int = 80) -> Stack:
    """Today's provisional race: clearly marked, never mixed into the completed streak above. On delayed quotes
    its figures are drawn in ``delayed_style`` and the time of the quotes stands out instead of receding."""
    prov = part.provisional
    assert prov is not None
    small, large = fmt.short_of(part.small), fmt.short_of(part.large)
    rows: list[tuple[str | Text, Text]] = []
    stamp = Text()
    stamp.append(" PROVISIONAL ", style=f"bold reverse {colours.warn}")
    if prov.quote_time is not None:
        stamp.append(f" {fmt.clock_time(prov.quote_time)}", style=f"bold {colours.warn}" if part.delayed else "dim")
    rows.append((Text("Today", style=f"bold {colours.warn}"), stamp))
    now = Text.assemble(
        f"{small} ",
        (fmt.pct(prov.small_change, 2), colours.sign(prov.small_change)),
        f"  {large} ",
        (fmt.pct(prov.large_change, 2), colours.sign(prov.large_change)),
    )
    rows.append(("Now", now))
    # Who leads now, and what the streak would be if the session ended at this price.
    if prov.leader == "none":
        outcome = Text("level: a tie ends the streak", style="bold")
    else:
        name = small if prov.leader == "small" else large
        outcome = Text.assemble((f"{name} leads", f"bold {colours.side(prov.leader)}"), " → ")
        if prov.streak_leader == "none" or prov.streak_length == 0:
            outcome.append("no streak", style="bold")
        else:
            outcome.append(fmt.sessions(prov.streak_length), style="bold")
            if prov.streak_leader != part.streak.leader and part.streak.length:
                _append_if_room(outcome, " (breaks)", f"bold {colours.warn}", width - len("If closed "))
    if part.delayed:  # old prices: the race as it stood then, not as it stands
        now.stylize(delayed_style)
        outcome.stylize(delayed_style)
    rows.append(("If closed", outcome))
    return _grid(rows)


def premarket(part: StreakPart, colours: Palette, width: int = 80) -> Stack:
    """The pre-market read: each future's change since its settlement, marked indicative, and what the streak
    would become if the cash session ended that way. Kept apart from the streak above, like the race."""
    read = part.premarket
    assert read is not None
    rows: list[tuple[str | Text, Text]] = []
    stamp = Text()
    stamp.append(" INDICATIVE ", style=f"bold reverse {colours.warn}")
    times = [f.time for f in (read.small, read.large) if f is not None]
    if times:
        stamp.append(f" {fmt.clock_time(min(times))}", style="dim")
    rows.append((Text("Futures", style=f"bold {colours.warn}"), stamp))
    quotes = Text()
    for i, (symbol, future) in enumerate(((read.small_symbol, read.small), (read.large_symbol, read.large))):
        change = None if future is None else future.change
        quotes.append(f"{'  ' if i else ''}{plain(symbol, 12).removesuffix('=F')} ")
        quotes.append(fmt.pct(change, 2), style=colours.sign(change))
    rows.append(("Now", quotes))
    if read.leader is None:
        outcome = Text("unknown", style="bold")
        if read.note:
            outcome.append(f": {plain(read.note)}", style="dim")
    elif read.leader == "none" or read.streak_leader is None or not read.streak_length:
        outcome = Text("level: a tie would end the streak", style="bold")
    else:
        name = fmt.short_of(part.small if read.leader == "small" else part.large)
        outcome = Text.assemble((f"{name} leads", f"bold {colours.side(read.leader)}"), " → ")
        outcome.append(fmt.sessions(read.streak_length), style="bold")
        if read.streak_leader != part.streak.leader and part.streak.length:
            _append_if_room(outcome, " (breaks)", f"bold {colours.warn}", width - len("If it holds "))
    rows.append(("If it holds", outcome))
    return _grid(rows)


def _append_if_room(text: Text, extra: str, style: str, room: int) -> None:
    """Append ``extra`` when the line still fits in ``room`` cells: a wrapped line would make the pane scroll."""
    if text.cell_len + len(extra) <= room:
        text.append(extra, style=style)


def _gap(a: float | None, b: float | None) -> float | None:
    if not (fmt.finite(a) and fmt.finite(b)):
        return None
    return (a - b) * 100  # type: ignore[operator]
