"""Persistence: models, engine and sessions, repositories, storage strategy, embedded server."""
