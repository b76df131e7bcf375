"""A long-running worker: prints a heartbeat until it is stopped."""

import signal
import sys
import time


def stop(_signum: int, _frame: object) -> None:
    print("worker: SIGTERM received, finishing up", flush=True)
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)
beat = 0
while True:
    beat += 1
    print(f"worker: heartbeat {beat}", flush=True)
    time.sleep(5)
