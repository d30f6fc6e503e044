"""Jobs for the RQ end-to-end test (importable by the worker)."""


def add(a, b):
    return a + b


def fail():
    raise ValueError("boom")
