"""AI providers behind one interface: Ollama, OpenAI, Azure OpenAI, Anthropic, and a deterministic mock."""
