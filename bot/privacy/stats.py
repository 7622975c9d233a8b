"""Anonymised statistics: counts of reports, with small counts suppressed so nobody can be singled out.

``python -m bot.cli stats export --out DIR`` writes one CSV table and one PNG chart per dimension:
incident type, motivation, region (coarse, :mod:`bot.privacy.regions`), channel and language, each
by month (rows) with row and column totals. No free text, no dates finer than a month, no
references. Live cases are read (decrypting only their categorical fields) together with the
statistical records left by anonymisation (:mod:`bot.privacy.retention`).

Disclosure control:

- **Primary suppression**: every published count from 1 to 4, totals too, is shown as ``<5``.
  Zero is shown: "nobody" singles nobody out (as in ONS and NHS small-number rules), and hiding
  the many zeros of a monthly table would hide nearly everything.
- **Secondary suppression**: wherever a row or a column (with its total) would have exactly one
  hidden cell, the next-smallest visible cell of that line is hidden too, shown as ``[c]``
  ("confidential": its value is 5 or more).
- **Audit**: all published tables are then attacked together, as a reader could: each hidden value
  is minimised and maximised by linear programming under every published total (including the
  month totals shared by the region, channel and language tables) and what the markers reveal
  (``<5`` is 1 to 4, ``[c]`` is 5 or more). If any hidden value is pinned to a single whole number,
  one more cell of its row or column is hidden and the audit runs again.

Incident types and motivations can be several per report, so in their tables a report can count
in several columns and the totals count mentions, not reports (said in ``notes.txt``).
"""

from __future__ import annotations

import csv
import logging
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.crypto import Keyring
from bot.privacy.models import StatisticalRecord
from bot.privacy.regions import REGIONS, region_of
from bot.store.models import Case, IncidentDetails
from bot.store.sealed import open_json

logger = logging.getLogger(__name__)

THRESHOLD = 5
PRIMARY = "<5"
SECONDARY = "[c]"
TOTAL = "Total"
CHANNELS = ("socketio", "rest", "twilio", "telegram", "other")

Var = tuple[str, ...]


@dataclass(frozen=True)
class ReportFacts:
    """The categorical facts of one report that statistics may use."""

    month: str
    channel: str
    language: str
    region: str
    incident_types: tuple[str, ...] = ()
    motivations: tuple[str, ...] = ()


def collect_records(session: Session, keyring: Keyring) -> list[ReportFacts]:
    """Facts of every live case (decrypted here, never written) and every anonymised one."""
    facts: list[ReportFacts] = []
    for case in session.scalars(select(Case).options(selectinload(Case.incident))):
        incident: dict[str, Any] = (
            open_json(keyring, IncidentDetails.data, case.incident.data, reference=case.reference)
            if case.incident is not None
            else {}
        )
        facts.append(
            ReportFacts(
                month=case.created_at.strftime("%Y-%m"),
                channel=case.channel,
                language=case.language,
                region=region_of(incident.get("location"), incident.get("location_kind")),
                incident_types=tuple(sorted(set(incident.get("incident_types") or []))),
                motivations=tuple(sorted(set(incident.get("motivations") or []))),
            )
        )
    for record in session.scalars(select(StatisticalRecord)):
        facts.append(
            ReportFacts(
                month=record.month,
                channel=record.channel,
                language=record.language,
                region=record.region,
                incident_types=tuple(record.incident_types or ()),
                motivations=tuple(record.motivations or ()),
            )
        )
    return facts


# -- tables -------------------------------------------------------------------------------------


@dataclass
class Table:
    """A month-by-category table of counts with margins.

    ``multi`` tables (a report may count in several columns) have their own totals; the others
    share the month totals and grand total (the number of reports), which the protection treats
    as one value published in several places.
    """

    name: str
    months: list[str]
    categories: list[str]
    multi: bool
    counts: Counter = field(default_factory=Counter)

    def value(self, month: str, category: str) -> int:
        """Cell value, margins included (``TOTAL`` as month or category)."""
        months = self.months if month == TOTAL else [month]
        categories = self.categories if category == TOTAL else [category]
        return sum(self.counts[(m, c)] for m in months for c in categories)

    def var(self, month: str, category: str) -> Var:
        """The variable a cell is: shared report totals for single-valued tables."""
        if category == TOTAL and not self.multi:
            return ("reports", month)
        return (self.name, month, category)

    def cells(self) -> list[tuple[str, str]]:
        """Every (month, category) cell including margins, in display order."""
        return [(m, c) for m in [*self.months, TOTAL] for c in [*self.categories, TOTAL]]

    def lines(self) -> list[list[Var]]:
        """Each row and column as its cells' variables, the total last."""
        rows = [[self.var(m, c) for c in [*self.categories, TOTAL]] for m in [*self.months, TOTAL]]
        cols = [[self.var(m, c) for m in [*self.months, TOTAL]] for c in [*self.categories, TOTAL]]
        return rows + cols


def build_tables(records: Sequence[ReportFacts]) -> list[Table]:
    """The five published tables, over every month from the first report to the last."""
    months = _month_range(r.month for r in records)
    from bot.intake.options import INCIDENT_TYPES, MOTIVATIONS
    from bot.languages import codes

    languages = [*codes(), "other"]
    tables = {
        "incident_type": Table("incident_type", months, list(INCIDENT_TYPES), multi=True),
        "motivation": Table("motivation", months, list(MOTIVATIONS), multi=True),
        "region": Table("region", months, list(REGIONS), multi=False),
        "channel": Table("channel", months, list(CHANNELS), multi=False),
        "language": Table("language", months, languages, multi=False),
    }
    for r in records:
        for t in r.incident_types:
            tables["incident_type"].counts[
                (r.month, _known(t, tables["incident_type"], "other_type"))
            ] += 1
        for m in r.motivations:
            tables["motivation"].counts[
                (r.month, _known(m, tables["motivation"], "other_motivation"))
            ] += 1
        tables["region"].counts[(r.month, _known(r.region, tables["region"], "unknown"))] += 1
        tables["channel"].counts[(r.month, _known(r.channel, tables["channel"], "other"))] += 1
        tables["language"].counts[(r.month, _known(r.language, tables["language"], "other"))] += 1
    return list(tables.values())


def _known(value: str, table: Table, fallback: str) -> str:
    return value if value in table.categories else fallback


def _month_range(months: Iterable[str]) -> list[str]:
    found = sorted(set(months))
    if not found:
        return []
    year, month = map(int, found[0].split("-"))
    out = []
    while True:
        label = f"{year:04d}-{month:02d}"
        out.append(label)
        if label >= found[-1]:
            return out
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


# -- protection ---------------------------------------------------------------------------------


def protect(tables: Sequence[Table]) -> dict[Var, str]:
    """Decides which values to hide across all tables (see the module docstring).

    Returns:
        Hidden variables mapped to ``PRIMARY`` or ``SECONDARY``.
    """
    values = _values(tables)
    lines = [line for t in tables for line in t.lines()]
    order = {var: i for i, var in enumerate(values)}
    hidden: dict[Var, str] = {v: PRIMARY for v, n in values.items() if 0 < n < THRESHOLD}
    while True:
        _close_lines(values, lines, hidden, order)
        exposed = determined(values, lines, hidden)
        if not exposed:
            return hidden
        added = False
        for target in exposed:
            candidates = [
                v for line in lines if target in line for v in line if _can_hide(v, values, hidden)
            ] or [v for v in values if _can_hide(v, values, hidden)]
            if candidates:
                hidden[min(candidates, key=lambda v: (values[v], order[v]))] = SECONDARY
                added = True
        if not added:
            return hidden


def _can_hide(var: Var, values: dict[Var, int], hidden: dict[Var, str]) -> bool:
    """A visible value that may become ``[c]`` (which promises 5 or more)."""
    return var not in hidden and values[var] >= THRESHOLD


def _values(tables: Sequence[Table]) -> dict[Var, int]:
    values: dict[Var, int] = {}
    for table in tables:
        for month, category in table.cells():
            values[table.var(month, category)] = table.value(month, category)
    return values


def _close_lines(
    values: dict[Var, int], lines: list[list[Var]], hidden: dict[Var, str], order: dict[Var, int]
) -> None:
    """Hides the next-smallest cell of every line that has exactly one hidden cell, until none."""
    changed = True
    while changed:
        changed = False
        for line in lines:
            if sum(v in hidden for v in line) != 1:
                continue
            visible = [v for v in line if _can_hide(v, values, hidden)]
            if not visible:  # the others are zeros: the audit below decides
                continue
            hidden[min(visible, key=lambda v: (values[v], order[v]))] = SECONDARY
            changed = True


def determined(values: dict[Var, int], lines: list[list[Var]], hidden: dict[Var, str]) -> list[Var]:
    """Hidden variables a reader can pin to one whole number from everything published.

    Each line says: the sum of its cells equals its total (the last cell). Published values are
    constants; ``<5`` means 1..4 and ``[c]`` means 5 or more.
    """
    import numpy as np
    from scipy.optimize import linprog

    unknown = [v for v in values if v in hidden]
    if not unknown:
        return []
    index = {v: i for i, v in enumerate(unknown)}
    rows, rhs = [], []
    for line in lines:
        coefficients = np.zeros(len(unknown))
        constant = 0.0
        for position, var in enumerate(line):
            sign = -1.0 if position == len(line) - 1 else 1.0
            if var in index:
                coefficients[index[var]] += sign
            else:
                constant += sign * values[var]
        if coefficients.any():
            rows.append(coefficients)
            rhs.append(-constant)
    bounds = [(1, THRESHOLD - 1) if hidden[v] == PRIMARY else (THRESHOLD, None) for v in unknown]
    a_eq = np.array(rows) if rows else None
    b_eq = np.array(rhs) if rows else None
    pinned = []
    for var, i in index.items():
        objective = np.zeros(len(unknown))
        objective[i] = 1.0
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        if low.status != 0:
            raise RuntimeError("statistics audit: published values are inconsistent")
        if high.status == 3:  # unbounded above: certainly not pinned
            continue
        if math.floor(-high.fun + 1e-6) - math.ceil(low.fun - 1e-6) < 1:
            pinned.append(var)
    return pinned


# -- output -------------------------------------------------------------------------------------


def published(table: Table, hidden: dict[Var, str]) -> list[list[str]]:
    """The table as published: header row, then one row per month and the total row."""
    out = [["month", *table.categories, TOTAL]]
    for month in [*table.months, TOTAL]:
        row = [month]
        for category in [*table.categories, TOTAL]:
            var = table.var(month, category)
            row.append(hidden.get(var) or str(table.value(month, category)))
        out.append(row)
    return out


NOTES = """Anonymised statistics of reports received.

Each table counts reports by month (rows) and one characteristic (columns), with totals.
"<5" means a count from 1 to 4 (0 is shown as 0); "[c]" hides a larger count so that a "<5" cannot be worked out
from the totals. Incident types and motivations: a report can have several, so it can count in
several columns and those tables' totals count mentions, not reports. Regions are the UK nations
and regions, from the first part of the postcode or the town given; "unknown" when neither could
be placed. No free text, personal details or exact dates are used.
"""


def export_statistics(records: Sequence[ReportFacts], out_dir: Path) -> list[Path]:
    """Writes the protected tables as CSV, a chart per table as PNG, and ``notes.txt``.

    Returns:
        The files written.
    """
    tables = build_tables(records)
    hidden = protect(tables)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for table in tables:
        rows = published(table, hidden)
        path = out_dir / f"reports_by_month_and_{table.name}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(rows)
        written.append(path)
        written.append(_chart(table.name, rows, out_dir / f"reports_by_{table.name}.png"))
    notes = out_dir / "notes.txt"
    notes.write_text(NOTES, encoding="utf-8")
    written.append(notes)
    logger.info("Statistics exported: %d tables, %d values hidden", len(tables), len(hidden))
    return written


def _chart(name: str, rows: list[list[str]], path: Path) -> Path:
    """Bar chart of the published column totals; hidden ones are drawn empty and labelled."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    categories = rows[0][1:-1]
    totals = rows[-1][1:-1]
    heights = [int(v) if v.isdigit() else 0 for v in totals]
    figure, axes = plt.subplots(figsize=(max(6.0, 0.6 * len(categories)), 4.0))
    try:
        bars = axes.bar(range(len(categories)), heights, color="#3b6ea5")
        for bar, value in zip(bars, totals, strict=True):
            axes.annotate(
                value,
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                ha="center",
                va="bottom",
                fontsize=8,
            )
        axes.set_xticks(range(len(categories)))
        axes.set_xticklabels([c.replace("_", " ") for c in categories], rotation=45, ha="right")
        axes.set_ylabel("reports" if name in ("region", "channel", "language") else "mentions")
        axes.set_title(f"Reports by {name.replace('_', ' ')} (counts under 5 shown as <5)")
        figure.tight_layout()
        figure.savefig(path, dpi=100)
    finally:
        plt.close(figure)
    return path
