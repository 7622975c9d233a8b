"""The current time, with a fake clock for end-to-end tests.

``HOURS_NOW`` (an ISO datetime; naive means UTC) is honoured only when ``ALLOW_FAKE_CLOCK=1``, so
a stray variable in production can never shift opening hours or due dates. The fake clock stands
still unless ``HOURS_NOW_SINCE`` (Unix seconds) is also set: then it shows ``HOURS_NOW`` at that
real moment and runs on with real time, the same in every process given the same variables (tests
of staleness, e.g. an operator whose console stopped sending heartbeats).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from collections.abc import Mapping

logger = logging.getLogger(__name__)


def now(environ: Mapping[str, str] | None = None) -> dt.datetime:
    """The current time, timezone-aware (UTC unless the fake clock says otherwise).

    Args:
        environ: Variables to read; ``os.environ`` when omitted.

    Returns:
        ``HOURS_NOW`` (plus the real time elapsed since ``HOURS_NOW_SINCE`` when that is set)
        when the fake clock is allowed and set, else the real time.
    """
    env = os.environ if environ is None else environ
    fake = env.get("HOURS_NOW", "").strip()
    if fake and env.get("ALLOW_FAKE_CLOCK", "").strip() == "1":
        moment = dt.datetime.fromisoformat(fake)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
        since = env.get("HOURS_NOW_SINCE", "").strip()
        if since:
            moment += dt.timedelta(seconds=max(0.0, time.time() - float(since)))
        return moment
    return dt.datetime.now(dt.timezone.utc)
