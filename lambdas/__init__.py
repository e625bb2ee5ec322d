"""The four Cognito custom-authentication triggers, one module each.

Each module exposes ``handler(event, context)``. Settings come from environment
variables; nothing touches the network at import time.
"""
