"""Benchmark of the SPARQL endpoints: synthetic data, query mix, engines and load driver.

See ``benchmarks/README.md``.
"""
