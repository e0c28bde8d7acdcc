"""Telemetry: ingest sources, the field catalogue and normaliser, the L1/L2/durable pipeline, fan-out."""
