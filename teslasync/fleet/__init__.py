"""Tesla's Fleet API: the client, OAuth, commands (see the commands issue). For now: what polling needs."""
