"""Special user messages the channels send to the bot instead of writing text themselves, and
typed text made safe for NLU.

The conversation answers these with domain responses:

==========================================  ================================================
payload                                     sent when
==========================================  ================================================
``/inform{"choice":"unsupported_media"}``   media we cannot use (audio, video, documents,
                                            stickers, locations, too-large images)
``/inform{"choice":"empty_message"}``       a message with no text and no media
``/inform{"choice":"evidence_received"}``   an image was stored as evidence
``/greet``                                  Telegram ``/start``
``/stop``                                   Telegram ``/stop``
``/change_language``                        Telegram ``/language``
``/stop_contact``                           SMS opt-out keyword (STOP, ...); nothing more is
                                            sent to that number until START/UNSTOP
==========================================  ================================================
"""

from __future__ import annotations

import json

UNSUPPORTED_MEDIA = "unsupported_media"
EMPTY_MESSAGE = "empty_message"
EVIDENCE_RECEIVED = "evidence_received"
GREET_PAYLOAD = "/greet"
STOP_PAYLOAD = "/stop"
CHANGE_LANGUAGE_PAYLOAD = "/change_language"
STOP_CONTACT_PAYLOAD = "/stop_contact"


def sanitise_text(text: str) -> str:
    """Removes leading slashes from typed text so people cannot type Rasa intents (``/stop``).

    Args:
        text: What the person typed.

    Returns:
        The text as NLU should see it.
    """
    return text.lstrip().lstrip("/").strip()


def inform_payload(choice: str) -> str:
    """Builds the contract's button payload ``/inform{"choice":"<value>"}``.

    Args:
        choice: Stable English identifier of the choice.

    Returns:
        The payload text, JSON without spaces so it matches domain button payloads exactly.
    """
    return "/inform" + json.dumps({"choice": choice}, ensure_ascii=False, separators=(",", ":"))
