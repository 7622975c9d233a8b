"""The current time, with a fake clock for end-to-end tests.

``HOURS_NOW`` (an ISO datetime; naive means UTC) is honoured only when ``ALLOW_FAKE_CLOCK=1``, so
a stray variable in production can never shift opening hours or due dates.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Mapping

logger = logging.getLogger(__name__)


def now(environ: Mapping[str, str] | None = None) -> dt.datetime:
    """The current time, timezone-aware (UTC unless the fake clock says otherwise).

    Args:
        environ: Variables to read; ``os.environ`` when omitted.

    Returns:
        ``HOURS_NOW`` when the fake clock is allowed and set, else the real time.
    """
    env = os.environ if environ is None else environ
    fake = env.get("HOURS_NOW", "").strip()
    if fake and env.get("ALLOW_FAKE_CLOCK", "").strip() == "1":
        moment = dt.datetime.fromisoformat(fake)
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
    return dt.datetime.now(dt.timezone.utc)
