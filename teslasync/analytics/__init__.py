"""Derivations from the normalised signal stream: drives, charging sessions, states, cost, battery health.

Each detector is a pure state machine over one vehicle's samples in time order, so that the live path and
`teslasync recompute` run the same code and get the same result."""
