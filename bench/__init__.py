"""Benchmarks of ftjobs against a raw aiohttp floor and the official ``openai`` client.

Run ``nox -s bench`` (or ``python -m bench``); see ``bench/run.py`` for the harness.
"""
