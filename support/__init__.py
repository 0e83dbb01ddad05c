"""Helpers shared by the tests, the benchmarks and the matrix; not shipped.

``processes``: the environment of a fresh interpreter, and throwaway venvs;
``synthetic``: ``.keras`` archives of any size without building a model;
``cases``: the models the round-trip tests and the matrix build;
``servers``: real servers on loopback (HTTP, S3, Azure) and the npm tools.
"""
