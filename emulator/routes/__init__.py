"""HTTP routes: the real API under /api/v2/, the consent pages and the /_emulator/ controls."""
