"""Per-epoch progress (model/progress.py) and per-stage lines (pipeline/stages.py): a bar on a terminal, plain lines
in a CI log, the figures a reader needs."""
from __future__ import annotations

import io
import logging

import numpy as np

from anime_recommender.model.progress import EpochProgress, EpochSize
from anime_recommender.pipeline import stages

SIZE = EpochSize(steps=4, positives=4000, pairs=40000)


class Terminal(io.StringIO):
    def isatty(self):
        return True


def run_epoch(progress: EpochProgress, steps: int = 4) -> None:
    progress.on_epoch_begin(0)
    for step in range(steps):
        progress.on_train_batch_end(step)
    progress.on_epoch_end(0, {"loss": 1.5, "val_ndcg@10": 0.25, "learning_rate": 0.01})


def test_a_ci_log_gets_plain_lines_and_no_bar(caplog):
    stream = io.StringIO()
    with caplog.at_level(logging.INFO, logger="anime_recommender.model.progress"):
        run_epoch(EpochProgress(SIZE, epochs=3, stream=stream, interval=0.0))
    assert stream.getvalue() == ""  # nothing on stdout: no bar, no ANSI, no carriage returns
    lines = [r.getMessage() for r in caplog.records]
    assert all("\x1b" not in line and "\r" not in line for line in lines)
    assert any(line.startswith("epoch 1/3: 2/4 steps") and "pairs/s, ETA" in line for line in lines)
    summary = lines[-1]
    assert summary.startswith("epoch 1/3: trained in") and "positives/s" in summary and "pairs/s" in summary
    assert "loss 1.5000" in summary and "val_ndcg@10 0.2500" in summary and "learning_rate" not in summary


def test_a_terminal_gets_a_tqdm_bar_with_the_pair_rate(caplog):
    stream = Terminal()
    with caplog.at_level(logging.INFO, logger="anime_recommender.model.progress"):
        run_epoch(EpochProgress(SIZE, epochs=3, stream=stream))
    bar = stream.getvalue()
    assert "epoch 1/3" in bar and "/40.0k" in bar and "pairs/s" in bar
    assert len(caplog.records) == 1  # the epoch's summary line, not a line per step


def test_a_stage_line_has_wall_cpu_and_its_own_peak_memory(caplog):
    with caplog.at_level(logging.INFO, logger="anime_recommender.pipeline.stages"), stages.stage("train"):
        before = stages.peak_rss_bytes()
        block = np.ones(300 * 2**20 // 8)  # 300 MiB, touched
        block.sum()
    del block
    match = stages.STAGE_LINE.fullmatch(caplog.records[-1].getMessage())
    assert match and match["name"] == "train"
    assert float(match["rss"]) * 2**30 >= before + 250 * 2**20
    if match["kind"] == "peak RSS":  # the kernel let us reset the high-water mark: a later stage starts low
        with caplog.at_level(logging.INFO, logger="anime_recommender.pipeline.stages"), stages.stage("small"):
            pass
        small = stages.STAGE_LINE.fullmatch(caplog.records[-1].getMessage())
        assert float(small["rss"]) < float(match["rss"])


def test_a_failing_stage_logs_nothing(caplog):
    with caplog.at_level(logging.INFO, logger="anime_recommender.pipeline.stages"):
        try:
            with stages.stage("load"):
                raise ValueError("broken file")
        except ValueError:
            pass
    assert not caplog.records
