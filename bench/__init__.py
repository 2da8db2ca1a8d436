"""Benchmarks: `make bench` runs them all; each prints one JSON object per line."""
