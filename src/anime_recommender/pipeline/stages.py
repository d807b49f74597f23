"""One log line per pipeline stage with its wall time, CPU time and peak resident memory.

    stage train: 1234.5 s wall, 2301.2 s CPU, peak RSS 5.21 GiB

The peak is the stage's own: Linux's high-water mark (VmHWM) is reset at the start of each stage through
/proc/self/clear_refs; where that is not possible the line says "process peak" (ru_maxrss since start).
bench/full_scale.py reads these lines (STAGE_LINE) to build its table.
"""
from __future__ import annotations

import contextlib
import logging
import re
import resource
import time
from pathlib import Path

log = logging.getLogger(__name__)
STAGE_LINE = re.compile(r"stage (?P<name>[\w-]+): (?P<wall>[\d.]+) s wall, (?P<cpu>[\d.]+) s CPU, "
                        r"(?P<kind>peak RSS|process peak RSS) (?P<rss>[\d.]+) GiB")
_STATUS, _CLEAR = Path("/proc/self/status"), Path("/proc/self/clear_refs")


def reset_peak() -> bool:
    """Reset the process' resident high-water mark to its current RSS; False where the kernel will not."""
    try:
        _CLEAR.write_text("5")
        return True
    except OSError:
        return False


def peak_rss_bytes() -> int:
    """VmHWM of /proc/self/status, else the maximum RSS since the process started."""
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@contextlib.contextmanager
def stage(name: str):
    """Time the block and log its line when it finishes (nothing when it raises: the error says enough)."""
    own_peak = reset_peak()
    wall, cpu = time.perf_counter(), time.process_time()
    yield
    log.info("stage %s: %.1f s wall, %.1f s CPU, %s %.2f GiB", name, time.perf_counter() - wall,
             time.process_time() - cpu, "peak RSS" if own_peak else "process peak RSS", peak_rss_bytes() / 2**30)
