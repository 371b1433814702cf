"""Building blocks that know nothing of benchmarks: atomic writes, locks, checksummed files, bounded parsing, input checks and limits, signals, worker processes, Ray sessions, optional libraries."""
