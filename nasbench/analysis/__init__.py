"""Figures, LaTeX tables, report pages and documentation results pages drawn from results directories."""
