"""Questions people ask before and while they report, answered wherever they are asked.

Each topic is one intent of the NLU model (`ask_<topic>`, training data in
`data/nlu/<language>/faq.yml`, held-out phrasings in `tests/data/faq_test/<language>.yml`) and one
response (`utter_faq_<topic>`, English in `domain/faq.yml`, other languages in
`locales/faq/<language>.yml`). Nothing here imports Rasa: the report form's engine and the rules
outside it both ask this module whether a message is a question and which answer it gets.
"""

from __future__ import annotations

#: Every question topic, in the order the README lists them.
TOPICS = (
    "who_for",  # who the service is for
    "confidential",  # is it confidential / can I stay anonymous
    "police_name",  # will the police know my name (named, anonymous, not at all)
    "independent",  # are you the police / the government
    "after_submit",  # what happens after I send it
    "who_sees",  # who can see my report
    "contact_when",  # when will someone contact me
    "old_incident",  # can I report something that happened long ago
    "online",  # can I report something online
    "not_crime",  # can I report something that may not be a crime
    "for_someone",  # can I report for someone else / something I saw
    "free",  # is it free
    "own_language",  # can I talk to someone in my language (offer a person, flag an interpreter)
    "helpline",  # the helpline number and hours
    "change_later",  # can I change or withdraw later
    "danger",  # what if I am in danger now (the answer, not the emergency message)
)

INTENT_PREFIX = "ask_"


def intent_of(topic: str) -> str:
    """The NLU intent of a topic (`ask_confidential`)."""
    return f"{INTENT_PREFIX}{topic}"


def response_of(topic: str) -> str:
    """The response that answers a topic (`utter_faq_confidential`)."""
    return f"utter_faq_{topic}"


def topic_of_intent(intent: str | None) -> str | None:
    """The topic an intent asks about, or None when it is not a question intent."""
    if intent and intent.startswith(INTENT_PREFIX):
        topic = intent[len(INTENT_PREFIX):]
        if topic in TOPICS:
            return topic
    return None


INTENTS = tuple(intent_of(t) for t in TOPICS)
