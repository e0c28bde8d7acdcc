"""The fake Tesla cloud fixtures (tests/fleet/cloud.py) for every test in this folder."""

from tests.fleet.cloud import cloud, overrides

__all__ = ["cloud", "overrides"]
