"""Filling a table by training every canonical cell, resumably, and checking that retraining reproduces it."""
