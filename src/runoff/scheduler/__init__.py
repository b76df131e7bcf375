"""The scheduler: jobs that run a command (or restart the app) at fixed moments."""
