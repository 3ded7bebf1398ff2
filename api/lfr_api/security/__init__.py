"""Authentication (passwords, tokens, API keys) and authorisation (roles, guards)."""
