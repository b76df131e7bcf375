"""A stand-in for a database migration: prints what a migration tool prints."""

import os
import time

print(f"== {os.environ.get('GREETING', 'hello')} from {os.environ.get('DYNO')} ==", flush=True)
for step in ("create_table(:widgets)", "add_index(:widgets, :name)"):
    print(f"-- {step}", flush=True)
    time.sleep(0.2)
    print("   -> 0.2000s", flush=True)
print("== migrated ==", flush=True)
