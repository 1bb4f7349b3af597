"""A local emulator of the GoCardless Bank Account Data API v2."""
