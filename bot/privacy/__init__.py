"""Privacy by design: encrypted tracker events, retention, erasure and subject access, safe statistics.

Everything here is Rasa-free (the Rasa tracker store class is :mod:`bot.tracker_store`), so the
CLI and the web service can run retention and key rotation without importing Rasa. See
``docs/privacy.md``.
"""
