"""Names of the domain responses and actions of the live handoff (words live in domain/people.yml).

The web service executes these through Rasa; the action server sends the rest.
"""

from __future__ import annotations

from typing import Final

QUEUED: Final = "utter_handoff_queued"  # {position}; button "Back to the assistant"
LEFT: Final = "utter_handoff_left"
CONNECTED: Final = "utter_handoff_connected"  # executed by the console when an operator accepts
TIMEOUT: Final = "utter_handoff_timeout"  # executed when nobody accepted in time
CLOSED: Final = "utter_handoff_closed"  # executed when the operator closes the chat
RETURNED: Final = "utter_handoff_returned"  # sent by action_handoff_returned
OPERATOR_MESSAGE: Final = "utter_operator_message"  # {operator_message}
RETURNED_ACTION: Final = "action_handoff_returned"
#: Engine placeholder: the person chose "Back to the assistant" while waiting.
LEAVE_PLACEHOLDER: Final = "utter_handoff_leave"
LEAVE_CHOICE: Final = "leave_queue"
