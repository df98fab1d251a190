"""Benchmarks and load generators (run with `make bench`; never part of `make test`)."""
