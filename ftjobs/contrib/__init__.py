"""Optional integrations with task engines; each lives in its own submodule and extra.

- `ftjobs.contrib.arq` (``pip install 'ftjobs[arq]'``): creates and waits as arq tasks.

The engine-neutral core (one create attempt, one wait step, typed failures) is in
``ftjobs.contrib._tasks``; nothing in the SDK imports this package.
"""

__all__: list[str] = []
