"""Anonymised statistics: small counts hidden, and no hidden value recoverable from what is published."""

from __future__ import annotations

import csv
import math
import random
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import linprog

from bot import cli
from bot.privacy.models import StatisticalRecord
from bot.privacy.stats import (
    PRIMARY,
    SECONDARY,
    ReportFacts,
    Table,
    build_tables,
    export_statistics,
    protect,
    published,
)
from bot.settings import Settings
from bot.store.uow import Store
from tests.bot.privacy.factories import submit_at
from tests.bot.store.drafts import DESCRIPTION

SINGLE = ("region", "channel", "language")


def random_records(seed: int, n: int) -> list[ReportFacts]:
    rng = random.Random(seed)
    months = ["2025-01", "2025-02", "2025-03"]
    weights = lambda k: [2 ** -i for i in range(k)]  # noqa: E731 - skewed: many small counts
    regions = ["london", "north_west", "scotland", "wales", "unknown"]
    types = ["verbal_abuse", "threats", "physical_assault", "online_abuse"]
    return [
        ReportFacts(
            month=rng.choice(months),
            channel=rng.choices(["socketio", "twilio", "telegram"], weights(3))[0],
            language=rng.choices(["en", "zh-Hans", "vi", "ko"], weights(4))[0],
            region=rng.choices(regions, weights(5))[0],
            incident_types=tuple(sorted(set(rng.choices(types, weights(4), k=rng.randint(1, 2))))),
            motivations=("race",) if rng.random() < 0.9 else ("race", "gender"),
        )
        for _ in range(n)
    ]


def read_tables(out: Path) -> dict[str, list[list[str]]]:
    tables = {}
    for path in sorted(out.glob("reports_by_month_and_*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            tables[path.stem.removeprefix("reports_by_month_and_")] = list(csv.reader(handle))
    return tables


def attack(tables: dict[str, list[list[str]]]) -> dict[tuple, tuple[int, int]]:
    """What a reader can work out from the published CSVs alone: each hidden cell's range.

    Independent of the code under test: it knows only the files, that rows and columns add up to
    their totals, that "<5" is 1..4 and "[c]" is 5 or more, and that the region, channel and
    language tables count the same reports (same month totals and grand total).
    """
    cells: dict[tuple, str] = {}
    lines: list[list[tuple]] = []
    for name, rows in tables.items():
        header, body = rows[0], rows[1:]

        def key(r: int, c: int, name: str = name, header: list = header, body: list = body) -> tuple:
            month, column = body[r][0], header[c]
            if name in SINGLE and column == "Total":
                return ("reports", month)
            return (name, month, column)

        for r in range(len(body)):
            for c in range(1, len(header)):
                cells[key(r, c)] = body[r][c]
            lines.append([key(r, c) for c in range(1, len(header))])
        for c in range(1, len(header)):
            lines.append([key(r, c) for r in range(len(body))])
    hidden = [k for k, v in cells.items() if v in (PRIMARY, SECONDARY)]
    index = {k: i for i, k in enumerate(hidden)}
    a, b = [], []
    for line in lines:
        row = np.zeros(len(hidden))
        constant = 0
        for pos, k in enumerate(line):
            sign = -1 if pos == len(line) - 1 else 1
            if k in index:
                row[index[k]] += sign
            else:
                constant += sign * int(cells[k])
        if row.any():
            a.append(row)
            b.append(-constant)
    bounds = [(1, 4) if cells[k] == PRIMARY else (5, None) for k in hidden]
    ranges = {}
    for k, i in index.items():
        c = np.zeros(len(hidden))
        c[i] = 1
        low = linprog(c, A_eq=np.array(a), b_eq=np.array(b), bounds=bounds, method="highs")
        high = linprog(-c, A_eq=np.array(a), b_eq=np.array(b), bounds=bounds, method="highs")
        assert low.status == 0
        top = math.inf if high.status == 3 else math.floor(-high.fun + 1e-6)
        ranges[k] = (math.ceil(low.fun - 1e-6), top)
    return ranges


@pytest.mark.parametrize("seed", range(6))
def test_no_hidden_value_can_be_derived_from_the_published_tables(
    seed: int, tmp_path: Path
) -> None:
    records = random_records(seed, 40 + 10 * seed)
    export_statistics(records, tmp_path)
    tables = read_tables(tmp_path)
    assert set(tables) == {"incident_type", "motivation", *SINGLE}

    # 1. Subtraction: no row or column (with its total) has exactly one hidden value.
    for name, rows in tables.items():
        body = [r[1:] for r in rows[1:]]
        for line in [*body, *zip(*body, strict=True)]:
            assert sum(v in (PRIMARY, SECONDARY) for v in line) != 1, (seed, name, line)
    # 2. Every published number is 0 or 5 or more (or a marker).
    for rows in tables.values():
        for row in rows[1:]:
            assert all(v in (PRIMARY, SECONDARY) or int(v) == 0 or int(v) >= 5 for v in row[1:])
    # 3. The month totals shared by the single-valued tables are shown the same everywhere.
    totals = {name: [r[-1] for r in tables[name][1:]] for name in SINGLE}
    assert totals["region"] == totals["channel"] == totals["language"]
    # 4. Linear programming over everything published pins no hidden value, and the truth is
    #    inside each range (the attack model is right).
    truth = {name: t for t in build_tables(records) for name in [t.name]}
    for key, (low, high) in attack(tables).items():
        assert high - low >= 1, (seed, key, low, high)
        name, month, column = ("region", key[1], "Total") if key[0] == "reports" else key
        assert low <= truth[name].value(month, column) <= high


def test_one_small_cell_in_a_row_hides_the_next_smallest_of_that_row() -> None:
    table = Table("channel", ["2025-01", "2025-02"], ["socketio", "twilio", "telegram"], multi=False)
    table.counts.update({
        ("2025-01", "socketio"): 20, ("2025-01", "twilio"): 9, ("2025-01", "telegram"): 2,
        ("2025-02", "socketio"): 30, ("2025-02", "twilio"): 12, ("2025-02", "telegram"): 7,
    })
    hidden = protect([table])
    rows = published(table, hidden)
    assert rows[1] == ["2025-01", "20", SECONDARY, PRIMARY, "31"]
    # The column "telegram" (2, 7, total 9) also needed a second hidden value.
    assert rows[2][3] == SECONDARY and rows[2][2] == SECONDARY or rows[3][3] == SECONDARY
    assert all(sum(v in (PRIMARY, SECONDARY) for v in r[1:]) != 1 for r in rows[1:])


def test_export_writes_csv_png_and_notes_without_free_text(
    cli_env: Settings, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert cli.main(["db", "upgrade"]) == 0
    handle = Store(cli_env)
    sessions, keyring = handle.unit_of_work, handle.keyring
    for i in range(6):
        submit_at(
            sessions, keyring, datetime(2025, 5, 2, tzinfo=timezone.utc), f"k{i}",
            location="M1", location_kind="postcode",
        )
    with sessions() as session:
        session.add(StatisticalRecord(
            month="2023-01", channel="twilio", language="vi", region="london",
            incident_types=["threats"], motivations=["race"], police_referral="none",
            caseworker_requested=False, anonymised_at=datetime.now(timezone.utc),
        ))
        session.commit()
    out = tmp_path / "stats"
    capsys.readouterr()
    assert cli.main(["stats", "export", "--out", str(out)]) == 0
    assert "from 7 reports" in capsys.readouterr().out
    names = {p.name for p in out.iterdir()}
    assert "reports_by_month_and_region.csv" in names and "reports_by_region.png" in names
    assert (out / "reports_by_region.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    region = read_tables(out)["region"]
    months = [r[0] for r in region[1:]]
    assert months[0] == "2023-01" and months[-2] == "2025-05" and months[-1] == "Total"
    assert len(months) == 29 + 1  # every month in between, so gaps do not stand out
    north_west = region[0].index("north_west")
    # The lone 2023 report (<5) hides its month total, so the next-smallest month total (6) is
    # hidden too, then north_west's 6 in that month and so its column total.
    assert region[-2][north_west] == SECONDARY and region[-2][-1] == SECONDARY
    assert region[-1][north_west] == SECONDARY and region[1][-1] == PRIMARY
    for path in out.iterdir():
        data = path.read_bytes()
        assert DESCRIPTION.encode() not in data and b"M1" not in data
    handle.dispose()
