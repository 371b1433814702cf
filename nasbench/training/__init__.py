"""The NAS-Bench-201 network built from a cell, datasets with recorded splits, the training recipe and trainer, checkpoints, and the training workers."""
