"""Operations on the tracker database that the CLI runs next to the case store's."""

from __future__ import annotations

import logging

from bot.crypto import Keyring
from bot.privacy.config import PrivacySettings
from bot.privacy.tracker_events import reencrypt_events, tracker_engine
from bot.settings import Settings

logger = logging.getLogger(__name__)


def reencrypt_tracker(settings: Settings, keyring: Keyring) -> int | None:
    """Re-encrypts Rasa's tracker events with the primary key (after ``keys rotate``).

    Returns:
        The number of events rewritten, or None when there is no tracker database yet.
    """
    privacy = PrivacySettings.from_env(settings=settings)
    engine = tracker_engine(privacy.tracker_url, settings.sqlite_busy_timeout_s)
    if engine is None:
        logger.info("No tracker database yet; nothing to re-encrypt")
        return None
    try:
        return reencrypt_events(engine, keyring)
    finally:
        engine.dispose()
