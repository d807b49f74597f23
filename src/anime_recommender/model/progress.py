"""Per-epoch progress of a training run: a tqdm bar with pairs/s and ETA on a terminal, plain lines elsewhere.

A CI log (stdout not a terminal) gets no ANSI bar: one line per epoch with its time, throughput and metrics,
and, in an epoch longer than `interval` seconds, a line with the progress and ETA every `interval` seconds.
"""
from __future__ import annotations

import logging
import re
import sys
import time
from dataclasses import dataclass

import keras
from tqdm.auto import tqdm

log = logging.getLogger(__name__)
# what on_epoch_end logs, parsed back by bench/full_scale.py
EPOCH_LINE = re.compile(r"epoch (?P<epoch>\d+)/\d+: trained in (?P<seconds>[\d.]+) s \((?P<positives>[\d,]+) "
                        r"positives/s, (?P<pairs>[\d,]+) pairs/s\)")


@dataclass(frozen=True)
class EpochSize:
    """What one epoch processes: optimizer steps, train positives and scored (user, anime) pairs."""

    steps: int
    positives: int
    pairs: int


class EpochProgress(keras.callbacks.Callback):
    """tqdm bar per epoch on a terminal; log lines otherwise; always one summary line per epoch."""

    def __init__(self, size: EpochSize, epochs: int, stream=None, *, interval: float = 60.0):
        super().__init__()
        self.size, self.epochs, self.interval = size, epochs, interval
        self.stream = stream if stream is not None else sys.stdout
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.bar = None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch, self.steps_done = epoch, 0
        self.started = self.last_line = self.trained = time.perf_counter()
        if self.tty:
            self.bar = tqdm(total=self.size.pairs, desc=f"epoch {epoch + 1}/{self.epochs}", unit="pairs",
                            unit_scale=True, file=self.stream, leave=False, dynamic_ncols=True)

    def on_train_batch_end(self, batch, logs=None):
        done_before, self.steps_done = self.steps_done, batch + 1
        now = self.trained = time.perf_counter()
        if self.bar is not None:
            self.bar.update(self._pairs(self.steps_done) - self._pairs(done_before))
            return
        if now - self.last_line >= self.interval:
            self.last_line = now
            elapsed = now - self.started
            rate = self._pairs(self.steps_done) / elapsed
            eta = elapsed * (self.size.steps / self.steps_done - 1)
            log.info("epoch %d/%d: %d/%d steps, %s pairs/s, ETA %s", self.epoch + 1, self.epochs, self.steps_done,
                     self.size.steps, f"{rate:,.0f}", _clock(eta))

    def on_epoch_end(self, epoch, logs=None):
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        seconds = max(self.trained - self.started, 1e-9)
        after = time.perf_counter() - self.trained
        metrics = ", ".join(f"{k} {float(v):.4f}" for k, v in (logs or {}).items() if k != "learning_rate")
        log.info("epoch %d/%d: trained in %.1f s (%s positives/s, %s pairs/s), then %.1f s of epoch-end work "
                 "(validation, checkpoint)%s", epoch + 1, self.epochs, seconds, f"{self.size.positives / seconds:,.0f}",
                 f"{self.size.pairs / seconds:,.0f}", after, f"; {metrics}" if metrics else "")

    def _pairs(self, steps: int) -> int:
        return self.size.pairs * steps // max(self.size.steps, 1)


def _clock(seconds: float) -> str:
    """1h02m03s / 2m03s / 3s."""
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
