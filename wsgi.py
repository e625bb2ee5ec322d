"""The entry point `flask run` finds first, and the one for WSGI servers
(``gunicorn wsgi:app``): a bad setting stops start-up with one line naming it,
not a stack trace."""

import sys

from app import ConfigurationError, create_app

try:
    app = create_app()
except ConfigurationError as error:
    sys.exit(f"Configuration error: {error}")
