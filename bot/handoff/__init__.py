"""The human side of the service: live operators, callbacks, the caseworker queue, accounts.

Pure logic on the case store (SQLAlchemy sessions), shared by the action server (is anyone
available? join the queue) and the web service's console. No Rasa imports here.
"""
