"""Reading a dyno's usage from /proc (the watchdog's source): a /proc tree written by the test,
and this very process read from the real one."""

from __future__ import annotations

import os
from pathlib import Path

from runoff.dynos.local import usage

PAGE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")
SWAPS_HEADER = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"


def fake_process(proc: Path, pid: int, *, rss_pages: int, ticks: int, swap_kb: int) -> None:
    """A /proc/<pid> with ``stat`` and ``status``; the command has spaces and a parenthesis."""
    directory = proc / str(pid)
    directory.mkdir(parents=True)
    fields = ["S", "1", str(pid), str(pid), "0", "-1", "4194304", "0", "0", "0", "0"]
    fields += [str(ticks), "0", "0", "0", "20", "0", "1", "0", "100", "1000000", str(rss_pages)]
    fields += ["18446744073709551615"] + ["0"] * 20
    (directory / "stat").write_text(f"{pid} (odd (name) x) " + " ".join(fields) + "\n")
    (directory / "status").write_text(
        f"Name:\todd\nVmRSS:\t{rss_pages * PAGE // 1024} kB\nVmSwap:\t{swap_kb} kB\n"
    )


def test_without_swap_rss_and_cpu_come_from_stat_alone(tmp_path: Path) -> None:
    (tmp_path / "swaps").write_text(SWAPS_HEADER)
    fake_process(tmp_path, 10, rss_pages=100, ticks=TICKS * 2, swap_kb=0)
    fake_process(tmp_path, 11, rss_pages=50, ticks=TICKS, swap_kb=512)  # not read: no swap
    used = usage.from_proc([10, 11, 12], proc=tmp_path)  # 12 has gone meanwhile
    assert used.rss == 150 * PAGE
    assert used.swap == 0
    assert used.cpu_seconds == 3.0


def test_with_swap_vmswap_is_added(tmp_path: Path) -> None:
    (tmp_path / "swaps").write_text(SWAPS_HEADER + "/swapfile file 1048572 0 -2\n")
    fake_process(tmp_path, 10, rss_pages=100, ticks=0, swap_kb=512)
    fake_process(tmp_path, 11, rss_pages=1, ticks=0, swap_kb=256)
    used = usage.from_proc([10, 11], proc=tmp_path)
    assert used.swap == 768 * 1024
    assert used.total == 101 * PAGE + 768 * 1024


def test_this_process_read_from_the_real_proc() -> None:
    status = Path("/proc/self/status").read_text()
    vm_rss = int(status.split("VmRSS:")[1].split()[0]) * 1024
    used = usage.from_proc([os.getpid()])
    assert 0.5 * vm_rss <= used.rss <= 2 * vm_rss  # the same pages, counted a moment apart
    assert used.cpu_seconds > 0
