"""The benchmark's own arithmetic (scripts/bench.py, scripts/bench_diagnose.py): no bot runs here."""

from __future__ import annotations

from scripts import bench
from scripts.bench_diagnose import Turn


def _rasa_line(sender: str, total: float, steps: dict, calls: list | None = None) -> dict:
    return {
        "process": "rasa",
        "sender": sender,
        "total_ms": total,
        "events": 12,
        "steps": steps,
        "calls": calls or [],
    }


def test_turn_kinds() -> None:
    assert bench.turn_kind("hello") == "greeting"
    assert bench.turn_kind('/inform{"choice":"victim"}') == "button or short answer"
    assert bench.turn_kind("yes please") == "button or short answer"
    assert bench.turn_kind("One of them threw a drink at me.") == "free text"


def test_action_server_lines_are_matched_to_rasas_calls_in_order_per_sender() -> None:
    lines = [
        _rasa_line(
            "s1",
            50.0,
            {"nlu": [10.0, 1], "actions": [30.0, 2]},
            [{"action": "validate_report_form", "rasa_ms": 20.0, "http_ms": 12.0}],
        ),
        {"process": "actions", "sender": "s2", "action": "validate_report_form", "ms": 99.0},
        {"process": "actions", "sender": "s1", "action": "action_timed_out", "ms": 1.0},
        {"process": "actions", "sender": "s1", "action": "validate_report_form", "ms": 5.0},
        _rasa_line("s1", 20.0, {"nlu": [8.0, 1]}),
    ]
    trace = [("s1", "hello", 70.0), ("s1", "yes", 25.0), ("s9", "hello", 10.0)]
    turns = bench.merge_diagnosis(lines, trace)
    assert [(t["number"], t["kind"]) for t in turns] == [
        (1, "greeting"),
        (2, "button or short answer"),
    ]
    assert turns[0]["calls"][0]["server_ms"] == 5.0  # s1's, not s2's, and not the skipped one

    summary = bench.summarise_turns(turns)
    rows = summary["rows"]
    assert rows["=client"]["ms"] == 47.5
    assert rows["=channel"]["ms"] == 12.5  # (70 - 50 + 25 - 20) / 2
    assert rows["nlu"] == {"ms": 9.0, "count": 1.0}
    assert rows["=other"]["ms"] == 11.0  # (50 - 10 - 30 + 20 - 8) / 2
    assert summary["actions"]["validate_report_form"]["server_ms"] == 5.0
    assert summary["actions"]["validate_report_form"]["http_ms"] == 7.0
    assert summary["actions"]["validate_report_form"]["rasa_ms"] == 8.0


def test_the_long_conversation_stays_a_description_and_fits_its_limit() -> None:
    from bot.intake.options import DESCRIPTION_LIMIT

    messages = [bench.long_messages(turn) for turn in range(3, bench.LONG_DESCRIPTION_UNTIL + 1)]
    assert bench.long_messages(bench.LONG_DESCRIPTION_UNTIL + 1) is None
    details = [m for m in messages if m in bench.LONG_DETAILS]
    assert sum(len(m) for m in details) < DESCRIPTION_LIMIT
    # The measured windows hold description turns only (questions are asked elsewhere).
    for target in bench.LONG_TURNS:
        for turn in range(target - bench.LONG_WINDOW, target + bench.LONG_WINDOW + 1):
            assert turn not in bench.LONG_QUESTIONS
    assert max(bench.LONG_TURNS) + bench.LONG_WINDOW <= bench.LONG_DESCRIPTION_UNTIL


def test_long_windows_take_the_median_of_description_turns_near_each_target() -> None:
    detail = bench.LONG_DETAILS[0]
    trace = [("a", "hello", 999.0)] + [("a", detail, float(n)) for n in range(2, 66)]
    trace += [("b", "hello", 999.0)] + [("b", detail, float(n) + 1) for n in range(2, 66)]
    windows = bench.long_windows(trace)
    assert windows == {5: 5.0, 25: 25.0, 60: 60.0}
    question = [("c", "hello", 1.0)] + [("c", "is this confidential", 500.0)] * 64
    assert bench.long_windows(question) == {5: None, 25: None, 60: None}


def test_the_report_shows_the_breakdown_per_kind_and_the_growth() -> None:
    lines = [
        _rasa_line(
            "s1",
            50.0,
            {"load": [3.0, 1], "nlu": [10.0, 1], "copy": [1.0, 4]},
            [
                {
                    "action": "validate_report_form",
                    "rasa_ms": 20.0,
                    "http_ms": 12.0,
                    "request_bytes": 2048,
                }
            ],
        )
    ]
    turns = bench.merge_diagnosis(lines, [("s1", "It was late.", 70.0)])
    summary = bench.summarise_turns(turns)
    empty = bench.summarise_turns([])
    kinds = {kind: summary if kind == "free text" else empty for kind in bench.TURN_KINDS}
    diag = {
        "conversations": 1,
        "ours": {
            "all": summary,
            "kinds": kinds,
            "long": {str(t): summary for t in bench.LONG_TURNS},
        },
        "baseline": {"all": empty, "kinds": {k: empty for k in bench.TURN_KINDS}},
    }
    text = bench.diagnosis_markdown(diag)
    assert "#### Free text turns (ours: 1, baseline: 0" in text
    assert "| · NLU (`parse_message`) | 10.0 ms (1×) | — |  |" in text
    assert "| `validate_report_form` | 1 | 8.0 ms |" in text
    assert "| Tracker sent to the action server, per call | 2.0 KB | 2.0 KB | 2.0 KB | |" in text
    assert (
        "| · tracker store: load (decryption included) | 3.0 ms | 3.0 ms | 3.0 ms | 1.00× |" in text
    )


def test_the_scale_out_table() -> None:
    run = {
        "turns_per_s": 10.0,
        "completed": 50,
        "conversations": 50,
        "reports_per_hour": 900,
        "p50_ms": 4000.0,
        "p95_ms": 6000.0,
        "error_samples": [],
    }
    text = bench.scale_out_markdown(
        {"concurrency": 50, "one": run, "two": {**run, "turns_per_s": 15.0}, "speed_up": 1.5}
    )
    assert "| 1 | 10.0 | 50/50 | 900 | 4,000 ms | 6,000 ms |" in text
    assert "1.5×" in text
    assert "skipped: nobody home" in bench.scale_out_markdown({"skipped": "nobody home"})


def test_a_turn_sums_its_steps() -> None:
    turn = Turn("s1")
    turn.add("policies", 2.0)
    turn.add("policies", 3.0)
    assert turn.steps == {"policies": [5.0, 2]}


def test_one_at_a_time_leaves_the_first_conversation_out() -> None:
    """The first conversation of a fresh process carries its one-time costs; the one-at-a-time
    figure (target ≤ 2×) is the mean turn of the conversations after it."""
    import asyncio

    costs = iter([0.2, 0.01, 0.01])

    async def conversation(http: object, url: str, load: object) -> int:
        await asyncio.sleep(next(costs))
        return 2

    turns, every, later = asyncio.run(bench.warm_up("http://127.0.0.1:9", conversation, 3))
    assert turns == 2
    assert later < 0.02 < every  # 20 ms over 4 turns against 220 ms over 6


def test_every_target_row_shows_its_own_ratio_and_verdict() -> None:
    """Built from a recorded run's figures: each target row carries its own ratio."""
    import json
    from pathlib import Path

    recorded = Path(__file__).with_name("bench_result.json")
    result = json.loads(recorded.read_text())
    markdown, targets = bench.build_report(result)
    rows = {line.split("|")[1].strip(): line for line in markdown.splitlines()
            if line.startswith("| ")}
    throughput = next(v for k, v in rows.items() if k.startswith("Throughput at 50 concurrent (t"))
    sequential = next(v for k, v in rows.items() if k.startswith("Mean turn, one conversation"))
    assert "0.440×" in throughput and targets["throughput_ratio"]["value"] == 0.44
    assert "2.9×" in sequential and targets["sequential_ratio"]["pass"] is False
    assert targets["throughput_ratio"]["pass"] is False
