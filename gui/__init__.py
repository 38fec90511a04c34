"""Action Tracker's desktop window (Qt)."""
