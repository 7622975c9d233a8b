"""Console accounts, login sessions and the login rate limit (the audit log is bot.store.audit).

Like every domain module, these functions add, change and flush; they never commit: the caller's
unit of work (:meth:`bot.store.uow.Store.unit_of_work`) commits them, with their audit row.

Passwords are hashed with argon2id (argon2-cffi defaults). The session cookie carries a random
token; the database stores only its SHA-256, so a copy of the database does not log anyone in.
There is never a default account: the first admin is created with
``python -m bot.cli users add --role admin --email ...``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.crypto import Keyring

# Re-exported: the console and the handoff modules write and read the log through this module.
from bot.store.audit import audit as audit
from bot.store.audit import audit_entries as audit_entries
from bot.store.handoff_models import (
    ROLES,
    ConsoleSession,
    ConsoleUser,
    LoginAttempt,
)

logger = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 12
_HASHER = PasswordHasher()
#: Verified against when the e-mail is unknown, so timing does not reveal which accounts exist.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """An account cannot be created or changed as asked."""


@dataclass(frozen=True)
class User:
    """The signed-in user as handlers see it."""

    id: int
    email: str
    role: str
    organisation: str | None
    languages: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON form (no password hash)."""
        return {
            "id": self.id,
            "email": self.email,
            "role": self.role,
            "organisation": self.organisation,
            "languages": list(self.languages),
        }


@dataclass(frozen=True)
class SessionInfo:
    """A live session: the user and the CSRF token bound to it."""

    user: User
    csrf_token: str


def _user(row: ConsoleUser) -> User:
    return User(row.id, row.email, row.role, row.organisation, tuple(row.languages or ()))


def normalise_email(email: str) -> str:
    """Lower-cases and trims an e-mail address; refuses anything without one ``@``."""
    value = (email or "").strip().lower()
    if value.count("@") != 1 or value.startswith("@") or value.endswith("@") or len(value) > 254:
        raise AccountError("not an e-mail address")
    return value


def create_user(
    session: Session,
    *,
    email: str,
    password: str,
    role: str,
    organisation: str | None = None,
    languages: list[str] | None = None,
) -> User:
    """Creates an account (flushed, so its id is known; the caller's unit of work commits it).

    Raises:
        AccountError: Bad role, short or guessable password, caseworker without organisation, or the e-mail
            is taken.
    """
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    check_password(password, email)
    if role == "caseworker" and not organisation:
        raise AccountError("a caseworker account needs --organisation (a partner id)")
    row = ConsoleUser(
        email=normalise_email(email),
        password_hash=_HASHER.hash(password),
        role=role,
        organisation=organisation or None,
        languages=sorted(set(languages or [])),
        active=True,
        available=True,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # the unit of work rolls back as the error leaves it
        raise AccountError("an account with that e-mail already exists") from None
    return _user(row)


def list_users(session: Session) -> list[dict[str, Any]]:
    """Every account, for the admin page (no hashes)."""
    rows = session.scalars(select(ConsoleUser).order_by(ConsoleUser.email))
    return [{**_user(r).as_dict(), "active": r.active} for r in rows]


def set_active(session: Session, user_id: int, active: bool) -> bool:
    """Enables or disables an account; disabling ends its sessions. False if there is none."""
    row = session.get(ConsoleUser, user_id)
    if row is None:
        return False
    row.active = active
    if not active:
        session.execute(delete(ConsoleSession).where(ConsoleSession.user_id == user_id))
    return True


#: zxcvbn's 0-4 guessability score a console password must reach (3: "safely unguessable").
MIN_PASSWORD_SCORE = 3


def check_password(password: str, email: str = "") -> None:
    """Refuses a console password that is short, common or easy to guess.

    zxcvbn ships the 30,000 most common passwords from public breaches and estimates how many
    guesses the rest would take (dictionary words, names, dates, keyboard runs, l33t, the e-mail
    itself), offline: no password ever leaves the machine.

    Raises:
        AccountError: The reason, in words an admin can act on.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    from zxcvbn import zxcvbn  # imported late: its lists take a moment to load

    result = zxcvbn(password[:200], user_inputs=[normalise_email(email or "")])
    if result["score"] >= MIN_PASSWORD_SCORE:
        return
    breached = any(
        m.get("dictionary_name") == "passwords" and len(m["token"]) >= len(password) - 4
        for m in result["sequence"]
    )
    if breached:
        raise AccountError(
            "that password appears in lists of breached passwords: choose another "
            "(a few unrelated words together work well)"
        )
    raise AccountError(
        "that password is too easy to guess: choose a longer one "
        "(a few unrelated words together work well)"
    )


def set_password(session: Session, email: str, password: str) -> None:
    """Replaces a password and ends the account's sessions.

    Raises:
        AccountError: No such account, or the password is too short or too easy to guess.
    """
    check_password(password, email)
    row = session.scalar(select(ConsoleUser).where(ConsoleUser.email == normalise_email(email)))
    if row is None:
        raise AccountError("no such account")
    row.password_hash = _HASHER.hash(password)
    session.execute(delete(ConsoleSession).where(ConsoleSession.user_id == row.id))


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active account with this e-mail and password, or None (same timing either way)."""
    try:
        address = normalise_email(email)
    except AccountError:
        address = ""
    row = session.scalar(select(ConsoleUser).where(ConsoleUser.email == address))
    try:
        _HASHER.verify(row.password_hash if row is not None else _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if row is None or not row.active:
        return None
    if _HASHER.check_needs_rehash(row.password_hash):
        row.password_hash = _HASHER.hash(password)
    return _user(row)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(session: Session, user: User, *, now: dt.datetime, ttl: dt.timedelta) -> str:
    """Starts a login session and returns the cookie token (shown once, stored hashed)."""
    token = secrets.token_urlsafe(32)
    session.add(
        ConsoleSession(
            token_hash=_token_hash(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + ttl,
        )
    )
    session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at < now))
    return token


def resolve_session(session: Session, token: str | None, *, now: dt.datetime) -> SessionInfo | None:
    """The live session behind a cookie token, or None (unknown, expired, account disabled)."""
    if not token or len(token) > 128:
        return None
    row = session.scalar(
        select(ConsoleSession).where(ConsoleSession.token_hash == _token_hash(token))
    )
    if row is None or row.expires_at <= now:
        return None
    user = session.get(ConsoleUser, row.user_id)
    if user is None or not user.active:
        return None
    return SessionInfo(_user(user), row.csrf_token)


def end_session(session: Session, token: str | None) -> None:
    """Logs out: deletes the session behind the cookie token."""
    if token:
        session.execute(
            delete(ConsoleSession).where(ConsoleSession.token_hash == _token_hash(token))
        )


def csrf_matches(expected: str, given: str | None) -> bool:
    """Constant-time comparison of the session's CSRF token with the one sent."""
    return bool(given) and hmac.compare_digest(expected.encode(), str(given).encode())


# -- login rate limit ---------------------------------------------------------------------------


def attempt_keys(email: str, client: str, keyring: Keyring) -> list[str]:
    """Keyed pseudonyms for the login delays: the client address, and the account from it.

    No key is the account alone: anyone could otherwise lock a caseworker out by typing wrong
    passwords for their e-mail. Guessing from many addresses is what argon2 and the password
    check (`check_password`) are for. The keyring's pseudonym key makes the keys the same in
    every process and unreadable in the table.
    """
    address = (email or "").strip().lower() or "-"
    return [
        keyring.pseudonymise("login-client", client or "-"),
        keyring.pseudonymise("login-account-client", f"{address}|{client or '-'}"),
    ]


#: The longest a client waits between tries, however many it got wrong.
MAX_LOGIN_DELAY = dt.timedelta(minutes=15)


def login_delay(
    session: Session, keys: list[str], *, now: dt.datetime, limit: int, window: dt.timedelta
) -> dt.timedelta:
    """How long the client must still wait before its next try (zero: it may try now).

    The first ``limit`` failures within ``window`` cost nothing; each one after that doubles the
    wait after the latest failure (5 s, 10 s, 20 s … up to `MAX_LOGIN_DELAY`). Nothing is ever
    locked: a right password after the wait always works.
    """
    since = now - window
    longest = dt.timedelta(0)
    for key in keys:
        count, latest = session.execute(
            select(func.count(LoginAttempt.id), func.max(LoginAttempt.at)).where(
                LoginAttempt.key == key, LoginAttempt.at >= since
            )
        ).one()
        if not count or count < limit or latest is None:
            continue
        latest = latest if latest.tzinfo else latest.replace(tzinfo=dt.timezone.utc)
        wait = min(MAX_LOGIN_DELAY, dt.timedelta(seconds=5 * 2 ** min(count - limit, 20)))
        longest = max(longest, latest + wait - now)
    return max(longest, dt.timedelta(0))


def too_many_attempts(
    session: Session, keys: list[str], *, now: dt.datetime, limit: int, window: dt.timedelta
) -> bool:
    """True while the client must wait before trying again (see `login_delay`)."""
    return login_delay(session, keys, now=now, limit=limit, window=window) > dt.timedelta(0)


def record_failure(
    session: Session, keys: list[str], *, now: dt.datetime, window: dt.timedelta
) -> None:
    """Records a failed login under each key and forgets failures older than the window."""
    for key in keys:
        session.add(LoginAttempt(key=key, at=now))
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - window))
