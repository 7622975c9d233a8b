"""A person's own report, later ("my report"): the access form as a pure state machine
(:mod:`bot.access.engine`), its store adapter (:mod:`bot.access.store`), and the redaction of
secret words from the stored conversation (:mod:`bot.access.redact`)."""
