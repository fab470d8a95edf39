"""Shared helpers for fakeforce's tests (the ``fakeforce`` fixtures come from fakeforce.pytest_plugin)."""
