"""The live queue in the store: online operators, places, leaving, one accept wins, time-outs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.handoff import live
from bot.handoff.accounts import create_user

NOW = dt.datetime(2025, 3, 10, 10, 0, tzinfo=dt.timezone.utc)


def _operator(
    session_factory: Any, email: str = "op@example.org", languages: list[str] | None = None
) -> int:
    with session_factory() as session:
        user = create_user(
            session,
            email=email,
            password="a long test password",
            role="operator",
            languages=languages or ["en"],
        )
        live.heartbeat(session, user.id, now=NOW)
    return user.id


def test_operator_online_only_with_a_recent_heartbeat(session_factory: Any) -> None:
    _operator(session_factory)
    with session_factory() as session:
        assert live.operators_online(session, now=NOW) == 1
        assert live.operators_online(session, now=NOW + dt.timedelta(minutes=5)) == 0


def test_places_in_queue_leaving_and_asking_twice(session_factory: Any) -> None:
    _operator(session_factory, languages=["en", "vi"])
    with session_factory() as session:
        first = live.enqueue(
            session, conversation_id="a", channel="socketio", language="vi", now=NOW
        )
        second = live.enqueue(
            session, conversation_id="b", channel="socketio", language="ko", now=NOW
        )
        again = live.enqueue(
            session, conversation_id="b", channel="socketio", language="ko", now=NOW
        )
        assert (first.position, second.position, again.request_id) == (1, 2, second.request_id)
        requests = {
            r.conversation_id: r
            for r in [
                live.get_request(session, first.request_id),
                live.get_request(session, second.request_id),
            ]
        }
        assert (
            requests["a"].interpreter_needed is False and requests["b"].interpreter_needed is True
        )
        assert live.leave(session, "a", now=NOW)
        assert live.place_of(session, "b").position == 1


def test_only_one_operator_can_accept(session_factory: Any) -> None:
    op1 = _operator(session_factory)
    op2 = _operator(session_factory, "op2@example.org")
    with session_factory() as session:
        place = live.enqueue(
            session, conversation_id="c", channel="socketio", language="en", now=NOW
        )
        assert live.accept(session, place.request_id, op1, now=NOW)
        assert not live.accept(session, place.request_id, op2, now=NOW)


def test_waiting_too_long_times_out(session_factory: Any) -> None:
    _operator(session_factory)
    with session_factory() as session:
        live.enqueue(session, conversation_id="d", channel="socketio", language="en", now=NOW)
        assert (
            live.expire_waiting(
                session, now=NOW + dt.timedelta(seconds=30), timeout=dt.timedelta(minutes=5)
            )
            == []
        )
        expired = live.expire_waiting(
            session, now=NOW + dt.timedelta(minutes=6), timeout=dt.timedelta(minutes=5)
        )
        assert [r.conversation_id for r in expired] == ["d"]
        assert live.place_of(session, "d") is None


def test_forgetting_an_erased_conversation_removes_every_request_of_it(
    session_factory: Any,
) -> None:
    _operator(session_factory)
    with session_factory() as session:
        gone = live.enqueue(
            session, conversation_id="a", channel="socketio", language="en", now=NOW
        )
        live.leave(session, "a", now=NOW)
        again = live.enqueue(
            session, conversation_id="a", channel="socketio", language="en", now=NOW
        )
        kept = live.enqueue(
            session, conversation_id="b", channel="socketio", language="en", now=NOW
        )
        assert live.forget(session, "a") == 2
        assert live.forget(session, "a") == 0  # idempotent
        assert live.get_request(session, gone.request_id) is None
        assert live.get_request(session, again.request_id) is None
        assert not live.accept(session, again.request_id, 1, now=NOW)  # nobody can take it
        assert live.place_of(session, "b").position == 1 and kept.position == 2


def test_asking_for_an_interpreter_flags_the_request_even_if_an_operator_speaks_it(
    session_factory: Any,
) -> None:
    _operator(session_factory, languages=["en", "vi"])
    with session_factory() as session:
        plain = live.enqueue(session, conversation_id="c", channel="rest", language="vi", now=NOW)
        assert live.get_request(session, plain.request_id).interpreter_needed is False
        again = live.enqueue(
            session, conversation_id="c", channel="rest", language="vi", now=NOW, interpreter=True
        )
        assert again.request_id == plain.request_id
        assert live.get_request(session, plain.request_id).interpreter_needed is True
        asked = live.enqueue(
            session, conversation_id="d", channel="rest", language="vi", now=NOW, interpreter=True
        )
        assert live.get_request(session, asked.request_id).interpreter_needed is True


def test_an_operator_marks_an_interpreter_arranged_once_and_it_is_audited(
    session_factory: Any,
) -> None:
    from sqlalchemy import select

    from bot.store.handoff_models import AuditEntry

    op = _operator(session_factory)
    with session_factory() as session:
        place = live.enqueue(
            session, conversation_id="interp", channel="socketio", language="my", now=NOW
        )
        later = NOW + dt.timedelta(minutes=2)
        assert live.mark_interpreter_arranged(session, place.request_id, op, now=NOW)
        assert live.mark_interpreter_arranged(session, place.request_id, op, now=later)
        assert live.get_request(session, place.request_id).interpreter_arranged_at == NOW
        rows = list(session.scalars(select(AuditEntry)))
        assert [(r.user_id, r.action, r.subject, r.detail) for r in rows] == [
            (op, "live.interpreter_arranged", f"chat-{place.request_id}", None)
        ]
        assert live.finish(session, place.request_id, "closed", now=later) is False  # waiting
        assert live.leave(session, "interp", now=later)
        assert not live.mark_interpreter_arranged(session, place.request_id, op, now=later)
        assert not live.mark_interpreter_arranged(session, 9999, op, now=later)
