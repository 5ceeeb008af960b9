"""The readable ``--once`` snapshot: the four panes as Rich tables on stdout.

Everything from outside (symbols, sector names, error texts) passes through :func:`tui.textsafe.plain` (no
escape sequence, no control byte) into ``Text`` objects, never markup strings, so it is shown literally. A sector
or risk measured on data older than the snapshot's session is dimmed and shows its date, as on screen.
"""

from __future__ import annotations

from datetime import timezone

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from tui import fmt
from tui.model import Snapshot
from tui.textsafe import plain

RISK_STYLE = {"ok": "green", "watch": "yellow", "alert": "bold red", "unknown": "dim"}
LABEL_STYLE = {
    "LIVE": "bold green",
    "DELAYED": "yellow",
    "OFFLINE": "bold yellow",
    "REPLAY": "bold cyan",
    "SIMULATED": "bold black on yellow",
}


def signed_style(value: float | None) -> str:
    if value is None:
        return "dim"
    return "green" if value > 0 else "red" if value < 0 else ""


def print_report(snapshot: Snapshot, console: Console | None = None) -> None:
    console = console or Console(highlight=False)
    parts = [_header(snapshot), _streak(snapshot)]
    if snapshot.today is not None:
        parts.append(_today(snapshot))
    parts += [_spread(snapshot), _sectors(snapshot)]
    if snapshot.rotation is not None:
        parts.append(_rotation(snapshot))
    parts.append(_risks(snapshot))
    if snapshot.pairs:
        parts.append(_pairs(snapshot))
    console.print(Group(*parts))


def _header(s: Snapshot) -> Text:
    text = Text()
    text.append(f" {s.data.label} ", style=LABEL_STYLE.get(s.data.label, "bold"))
    if s.pair_name:  # the pair as the board names it: "IWM vs SPY · Small caps vs total return"
        text.append(f"  {plain(fmt.pair_title(s.small, s.large, s.pair_name))}", style="bold")
    else:
        text.append(f"  {plain(fmt.display_name(s.small))} vs {plain(fmt.display_name(s.large))}", style="bold")
    text.append(f"  as of {fmt.day(s.as_of)}  ({s.sessions:,} sessions loaded)")
    if s.data.stale:
        text.append("  STALE", style="bold yellow")
    if s.data.banner:
        text.append(f"\n{plain(s.data.banner)}", style="yellow")
    for error in s.data.errors:
        text.append(f"\n! {plain(error)}", style="red")
    return text


def _streak(s: Snapshot) -> Panel:
    st = s.streak
    body = Text()
    if st.leader == "none" or st.length == 0:
        body.append("No streak: the last session was a tie.", style="bold")
    else:
        leader = plain(fmt.display_name(s.small if st.leader == "small" else s.large))
        body.append(f"{st.length}", style="bold green" if st.leader == "small" else "bold blue")
        session_word = "session" if st.length == 1 else "sessions"
        body.append(f" {session_word} in a row: {leader} ahead since {fmt.day(st.start)}\n")
        body.append(f"{plain(s.small)} ")
        body.append(fmt.pct(st.small_return), style=signed_style(st.small_return))
        body.append(f"   {plain(s.large)} ")
        body.append(fmt.pct(st.large_return), style=signed_style(st.large_return))
        body.append("\n")
        if st.longest_since is not None:
            longest = st.longest_since
            body.append(f"Longest since the {longest.length}-session streak ending {fmt.day(longest.end)}")
        else:
            body.append("Longest on record in the loaded history", style="bold")
        body.append(f"   record {st.record_length}")
        if st.percentile is not None:
            body.append(f"   longer than {st.percentile * 100:.1f}% of past {st.leader}-cap streaks")
    p = s.provisional
    if p is not None:
        body.append(f"\nToday (provisional, {fmt.day(p.session)}): ")
        body.append(f"{plain(s.small)} {fmt.pct(p.small_change)}  {plain(s.large)} {fmt.pct(p.large_change)}")
        leader_now = plain(fmt.side_name(p.streak_leader, s.small, s.large))
        body.append(f"  — if it closed now: {leader_now} {p.streak_length}")
        if s.provisional_delayed and p.quote_time is not None:  # the race as it stood then
            when = p.quote_time.astimezone(timezone.utc)
            body.append(f"  (delayed quotes, {when:%H:%M} UTC)", style="bold yellow")
    if s.premarket is not None:
        body.append("\n")
        body.append_text(_premarket(s))
    return Panel(body, title="Streak", title_align="left")


def _premarket(s: Snapshot) -> Text:
    """ "Futures (indicative): RTY=F +0.42%  ES=F +0.18% — if the open holds: ^RUT 13"; never the streak."""
    read = s.premarket
    assert read is not None
    text = Text("Futures (indicative, not the streak): ")
    for i, (symbol, future) in enumerate(((read.small_symbol, read.small), (read.large_symbol, read.large))):
        text.append(f"{'  ' if i else ''}{plain(symbol)} ")
        change = None if future is None else future.change
        text.append(fmt.pct(change), style=signed_style(change))
    if read.leader is None:
        text.append(f"  — unknown: {plain(read.note)}", style="dim")
    elif read.streak_leader is not None and read.streak_length is not None:
        who = plain(fmt.side_name(read.streak_leader, s.small, s.large))
        text.append(f"  — if the cash session ended that way: {who} {read.streak_length}")
    return text


def _today(s: Snapshot) -> Panel:
    """Today's race in words: both sides now, who leads, lead changes, share led (time-weighted), widest gaps."""
    race = s.today
    assert race is not None
    small, large = plain(s.small), plain(s.large)
    body = Text()
    if not race.times:
        body.append(f"No intraday path: {plain(race.note)}", style="dim")
        return Panel(body, title="Intraday race", title_align="left")
    state = "closed" if race.complete else f"to {fmt.clock_time(race.times[-1])}"
    body.append(f"{fmt.day(race.session)}, {state}: ")
    body.append(f"{small} ")
    body.append(fmt.pct(race.small[-1]), style=signed_style(race.small[-1]))
    body.append(f"  {large} ")
    body.append(fmt.pct(race.large[-1]), style=signed_style(race.large[-1]))
    leader = "level" if race.leader == "none" else f"{plain(fmt.side_name(race.leader, s.small, s.large))} leads"
    body.append(f"  — {leader}\n")
    changes = len(race.lead_changes)
    body.append(f"{changes} lead change{'' if changes == 1 else 's'}")
    if race.lead_changes:
        last = race.lead_changes[-1]
        who = plain(fmt.side_name(last.leader, s.small, s.large))
        body.append(f" (last {fmt.clock_time(last.time)}, to {who})")
    if race.share_small is not None and race.share_large is not None:
        body.append(f"   time led: {small} {race.share_small:.0%}  {large} {race.share_large:.0%}")
        if race.share_level:
            body.append(f"  level {race.share_level:.0%}")
    for name, gap in ((small, race.widest_small), (large, race.widest_large)):
        if gap is not None:
            body.append(f"   widest {name} lead {abs(gap.value) * 100:.2f} pp at {fmt.clock_time(gap.time)}")
    title = "Intraday race" if race.complete else "Today's race (provisional)"
    return Panel(body, title=title, title_align="left")


def _spread(s: Snapshot) -> Panel:
    sp = s.spread
    body = Text()
    if not sp.dates:
        body.append("Not enough sessions for a spread.", style="dim")
    else:
        body.append(f"Relative performance over {len(sp.dates)} sessions: ")
        body.append(fmt.pct(sp.relative[-1]), style=signed_style(sp.relative[-1]))
        body.append("   last session's spread: ")
        body.append(fmt.pct(sp.daily[-1]), style=signed_style(sp.daily[-1]))
        body.append("   5-session RS ratio: ")
        body.append(fmt.number(sp.rs_5d, digits=3), style=signed_style(None if sp.rs_5d is None else sp.rs_5d - 1))
        body.append("\n")
        body.append(_sparkline(sp.daily[-60:]))
    return Panel(body, title="Spread (small − large)", title_align="left")


def _sparkline(values) -> Text:
    text = Text()
    top = max((abs(v) for v in values), default=0) or 1.0
    for v in values:
        blocks = " ▁▂▃▄▅▆▇█"
        text.append(blocks[min(8, int(abs(v) / top * 8))] or " ", style="green" if v > 0 else "red")
    return text


def _dated(as_of, s: Snapshot) -> str | None:
    """A figure's own date when it is older than the snapshot's session ("31 Jul"), else None."""
    return fmt.short_date(as_of, s.as_of) if as_of is not None and as_of < s.as_of else None


def _sectors(s: Snapshot) -> Table:
    table = Table(title="Sector winners (small caps)", title_justify="left", expand=False)
    table.add_column("Symbol")
    table.add_column("Sector")
    dates = {r.symbol: _dated(r.as_of, s) for r in s.sectors}
    if any(dates.values()):  # a column of its own, so no name cut hides it
        table.add_column("Data to")
    for head in ("1D", "5D", "Streak", "1M", "YTD", f"vs {plain(s.small)}"):
        table.add_column(head, justify="right")
    rows = sorted(s.sectors, key=lambda r: -1e9 if r.return_streak is None else r.return_streak, reverse=True)
    for r in rows:
        cells = [r.return_1d, r.return_5d, r.return_streak, r.return_1m, r.return_ytd, r.vs_small_streak]
        dated = dates[r.symbol]
        head = [Text(plain(r.symbol)), Text(plain(r.name), overflow="ellipsis", no_wrap=True)]
        if any(dates.values()):
            head.append(Text(dated or ""))
        table.add_row(
            *head, *(Text(fmt.pct(v, digits=1), style=signed_style(v)) for v in cells), style="dim" if dated else None
        )
    return table


QUADRANT_STYLE = {"leading": "green", "weakening": "yellow", "lagging": "red", "improving": "blue"}


def _rotation(s: Snapshot) -> Table:
    """The rotation map as a table: the pair first, then the sectors, as on screen's rotation table (`v`)."""
    rotation = s.rotation
    assert rotation is not None
    unit = "weeks" if rotation.period == "weekly" else "sessions"
    table = Table(title=f"Rotation map ({rotation.period}; * the week in progress)", title_justify="left")
    for head in ("Symbol", "vs", "Quadrant"):
        table.add_column(head)
    for head in ("Ratio", "Momentum", unit.capitalize()):
        table.add_column(head, justify="right")
    for r in rotation.series:
        quadrant = (r.quadrant or "—").capitalize() + ("*" if r.provisional and r.quadrant else "")
        dated = _dated(r.as_of, s)
        table.add_row(
            Text(plain(r.symbol)),
            Text(plain(r.benchmark)),
            Text(quadrant, style=QUADRANT_STYLE.get(r.quadrant or "", "dim")),
            Text(fmt.number(r.ratio)),
            Text(fmt.number(r.momentum)),
            Text(str(r.periods_in_quadrant) if r.quadrant else fmt.DASH),
            style="dim" if dated else None,
        )
    return table


def _risks(s: Snapshot) -> Table:
    table = Table(title="Risk checklist", title_justify="left")
    table.add_column("")
    table.add_column("Risk")
    table.add_column("Status")
    table.add_column("Why")
    for r in s.risks:
        symbol, style = fmt.RISK_MARK[r.status], RISK_STYLE[r.status]
        why = Text(plain(r.detail))
        dated = _dated(r.as_of, s) if r.status != "unknown" else None  # an unknown one says its data's age itself
        if dated:
            why.append(f" · {dated}")
        table.add_row(
            Text(symbol, style=style),
            Text(plain(r.label)),
            Text(r.status, style=style),
            why,
            style="dim" if dated else None,
        )
    return table


def _pairs(s: Snapshot) -> Table:
    """The board of pairs: who leads each, for how long, how rare, and 20 sessions of relative performance."""
    table = Table(title="Board of pairs", title_justify="left", box=None, pad_edge=False, collapse_padding=True)
    for head, justify in (("Pair", "left"), ("Leads", "left"), ("Streak", "right"), ("Since", "left"),
                          ("Rank", "right"), ("Pct", "right"), ("Longest since", "left"), ("Rel. 20", "right"),
                          ("Name", "left")):  # fmt: skip
        # One line a row, in 80 columns: the name is cut ("…") so the figures keep their width.
        name = head == "Name"
        table.add_column(head, justify=justify, no_wrap=True, overflow="ellipsis", max_width=14 if name else None)  # type: ignore[arg-type]
    for entry in s.pairs:
        on_screen = (entry.small, entry.large) == (s.small, s.large)
        pair = Text(plain(f"{entry.small}/{entry.large}"), style="bold" if on_screen else "")
        if on_screen:
            pair.append(" ◀")
        name = Text(plain(entry.name))
        st = entry.streak
        if st is None:
            table.add_row(pair, Text(plain(entry.reason or "no data"), style="yellow"), "", "", "", "", "", "", name)
            continue
        if entry.as_of is not None and entry.as_of < s.as_of:
            name.append(f" · data to {fmt.short_date(entry.as_of, s.as_of)}", style="dim")
        longest = st.longest_since
        longest_text = "record" if st.length else fmt.DASH
        if longest is not None:
            longest_text = f"{fmt.short_date(longest.end, s.as_of)} ({longest.length})"
        table.add_row(
            pair,
            Text(plain(fmt.side_name(st.leader, entry.small, entry.large))),
            Text(str(st.length)),
            Text(fmt.short_date(st.start, s.as_of) if st.start else fmt.DASH),
            Text(f"#{entry.rank}" if entry.rank is not None else fmt.DASH),
            Text(f"{int(st.percentile * 100)}%" if st.percentile is not None else fmt.DASH),  # floor: 99.7 is not 100
            Text(longest_text),
            Text(fmt.pct(entry.relative_20), style=signed_style(entry.relative_20)),
            name,
        )
    return table
