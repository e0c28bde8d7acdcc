"""Notifications: the events a user can subscribe to, the channels that deliver them, quiet hours."""
