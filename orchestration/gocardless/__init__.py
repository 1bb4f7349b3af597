"""GoCardless bank sync: extraction and sync assets, the sync job and its daily schedule."""
