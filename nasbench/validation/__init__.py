"""Checking a benchmark against reality: training the winners of a comparison for real, and reproducing NAS-Bench-201's search comparison."""
