"""Persistence: SQLModel tables, the engine and session factory, and migrations."""
