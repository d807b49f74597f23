"""The training pipeline: the `train` command, its run (ingest → process → train → export → evaluate → gate →
publish), per-stage log lines, experiment tracking and the training curves plot."""
