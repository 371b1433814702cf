"""Statistics of comparisons: which differences between strategies are real, and the line and band of anytime curves."""
