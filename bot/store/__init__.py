"""The case store shared by the three processes: models, migrations and service functions.

Use :mod:`bot.store.db` to get an engine and sessions and :mod:`bot.store.service` for every read
and write; other code does not touch the models directly.
"""
