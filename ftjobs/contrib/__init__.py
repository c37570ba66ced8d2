"""Optional integrations with task engines; each lives in its own submodule and extra.

- `ftjobs.contrib.arq` (``pip install 'ftjobs[arq]'``): creates, waits and campaigns as arq
  tasks.

The engine-neutral core is in ``ftjobs.contrib._tasks`` (one create attempt, one wait step,
typed failures), ``_redis`` (a wait's state), ``_leases`` (a campaign's slots and members'
progress) and ``_members`` (a member task's decisions); nothing in the SDK imports this
package.
"""

__all__: list[str] = []
