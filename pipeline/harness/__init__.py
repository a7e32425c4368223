"""Brokers, workers and their child processes, run for the demo, the tests and the benchmarks."""
