"""TeslaSync: a self-hosted, GraphQL-first platform for Tesla owners and small fleets."""

__version__ = "0.1.0"
