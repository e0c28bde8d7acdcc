"""Metrics, health checks and logging."""
