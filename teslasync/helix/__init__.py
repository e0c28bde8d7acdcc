"""Helix: an optional AI layer that explains the owner's own data. Off by default; every feature is switched
on one by one, costs are bounded, and nothing private leaves the machine unredacted."""
