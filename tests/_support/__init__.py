"""Shared data and helpers of the test suite that are not fixtures (those are in conftest.py).

A test module imports from here, never from another test module or from a conftest.
"""
