"""The dyno manager: one-off and formation processes, their lifecycle and records."""
