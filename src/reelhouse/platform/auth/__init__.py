"""Organizations, users, API keys, tokens and the Principal every route receives."""
