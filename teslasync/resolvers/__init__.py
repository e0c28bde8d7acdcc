"""Resolver functions per feature: thin, they call services and loaders."""
