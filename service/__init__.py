"""Web service: serves the chat page and widget (``web/``); later also the operator console.

Build the application with :func:`service.app.create_app`; run it with ``python -m service``.
"""
