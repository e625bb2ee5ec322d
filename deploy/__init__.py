"""Deploying the triggers, user pool and app client to a real AWS account:
``python -m deploy up`` (see the README's "Deploy to AWS")."""
