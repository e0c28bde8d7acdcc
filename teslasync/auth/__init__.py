"""Principals, API tokens and (later) forward-auth, TOTP and encryption."""
