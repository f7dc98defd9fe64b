"""Benchmarks: each measures pxwidgets against a reference in the same run and writes bench/RESULTS.md."""
