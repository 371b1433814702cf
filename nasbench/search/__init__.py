"""A comparison: its configuration, the search loop, the runner over strategies x runs, results directories and their summaries, several tables at once."""
