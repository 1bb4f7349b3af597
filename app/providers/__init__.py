"""Clients of the external services the app depends on."""
