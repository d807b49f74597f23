"""DataReport: every row read is either kept or counted under a reason, so nothing is silently dropped."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


class DataError(ValueError):
    """A required data file or column is missing, so the data cannot be loaded at all."""


@dataclass
class DataReport:
    """Row accounting for one data load: rows read and kept per file, dropped rows per reason."""

    rows_read: dict[str, int] = field(default_factory=dict)
    rows_kept: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    dropped_by_file: dict[str, dict[str, int]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def read(self, file: str, n: int) -> None:
        """Count `n` rows read from `file`."""
        self.rows_read[file] = self.rows_read.get(file, 0) + int(n)

    def keep(self, file: str, n: int) -> None:
        """Count `n` rows of `file` that made it into the output."""
        self.rows_kept[file] = self.rows_kept.get(file, 0) + int(n)

    def add(self, reason: str, n: int, file: str | None = None) -> None:
        """Count `n` rows dropped for `reason` (of `file` when the drop happens at ingestion)."""
        if n <= 0:
            return
        self.dropped[reason] = self.dropped.get(reason, 0) + int(n)
        if file is not None:
            per_file = self.dropped_by_file.setdefault(file, {})
            per_file[reason] = per_file.get(reason, 0) + int(n)
        log.debug("dropped %d rows: %s%s", n, reason, f" ({file})" if file else "")

    def note(self, name: str, value: int) -> None:
        """Record a size that is not a drop (rows per split, users kept, ...)."""
        self.counts[name] = int(value)

    def unaccounted(self) -> dict[str, int]:
        """Per file: rows read minus rows kept minus rows dropped (all zeros when the books balance)."""
        return {
            file: read - self.rows_kept.get(file, 0) - sum(self.dropped_by_file.get(file, {}).values())
            for file, read in self.rows_read.items()
        }

    @property
    def total_dropped(self) -> int:
        return sum(self.dropped.values())

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view (what data_report.json holds)."""
        return {
            "rows_read": dict(self.rows_read),
            "rows_kept": dict(self.rows_kept),
            "dropped": dict(sorted(self.dropped.items())),
            "dropped_by_file": {f: dict(sorted(r.items())) for f, r in self.dropped_by_file.items()},
            "counts": dict(self.counts),
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> DataReport:
        """Inverse of to_dict (load_processed)."""
        report = cls(
            rows_read=dict(raw.get("rows_read", {})),
            rows_kept=dict(raw.get("rows_kept", {})),
            dropped=dict(raw.get("dropped", {})),
            counts=dict(raw.get("counts", {})),
        )
        report.dropped_by_file.update({f: dict(r) for f, r in raw.get("dropped_by_file", {}).items()})
        return report

    def save(self, path: str | Path) -> Path:
        """Write the report as JSON."""
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=2, sort_keys=False) + "\n", encoding="utf-8")
        return path

    def log_summary(self, level: int = logging.INFO) -> None:
        """One log line per file and per drop reason, so a run's data losses are visible."""
        for file, read in self.rows_read.items():
            log.log(level, "%s: %d rows read, %d kept", file, read, self.rows_kept.get(file, 0))
        for reason, n in sorted(self.dropped.items(), key=lambda kv: -kv[1]):
            log.log(level, "dropped %d rows: %s", n, reason)
        for file, missing in self.unaccounted().items():
            if missing:
                log.warning("%s: %d rows neither kept nor counted as dropped", file, missing)
