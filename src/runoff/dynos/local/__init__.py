"""The local executor: dynos as processes on this machine (the only code that knows pids,
cgroups, ptys and local paths)."""
