"""Repositories: all SQL lives here. They take a session and never commit."""
