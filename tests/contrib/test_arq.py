"""ftjobs.contrib.arq without Redis: serialisation, settings, the enqueue helpers' arguments."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytest.importorskip("arq", reason="the 'arq' extra is not installed")

from arq.worker import JobExecutionFailed, get_kwargs

from ftjobs import PollPolicy
from ftjobs.contrib import arq as ftarq
from ftjobs.contrib._tasks import CreateFailed, WaitFailed
from ftjobs.contrib.arq._tasks import ftjobs_wait


class FakePool:
    """Records enqueue_job calls; refuses a task id seen before, like arq."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    async def enqueue_job(self, function: str, *args: Any, **kwargs: Any) -> object | None:
        seen = any(k["_job_id"] == kwargs["_job_id"] for _, _, k in self.calls)
        self.calls.append((function, args, kwargs))
        return None if seen else object()


def test_dumps_is_json_and_loads_restores_typed_failures() -> None:
    data = {"r": WaitFailed("ftjob-1", "not_found", "gone", status_code=404), "a": [1, "x"]}
    raw = ftarq.dumps(data)
    assert json.loads(raw)["r"]["__ftjobs_error__"] == "wait_failed"
    back = ftarq.loads(raw)
    assert isinstance(back["r"], WaitFailed) and back["r"].status_code == 404
    assert back["a"] == [1, "x"]
    created = ftarq.loads(ftarq.dumps(CreateFailed("k", 400, "bad")))
    assert isinstance(created, CreateFailed) and created.key == "k"
    other = ftarq.loads(ftarq.dumps(KeyError("boom")))
    assert isinstance(other, JobExecutionFailed) and "KeyError" in str(other)


def test_dumps_refuses_what_json_cannot_carry() -> None:
    with pytest.raises(TypeError, match="not JSON serialisable"):
        ftarq.dumps({"x": object()})


def test_subclass_settings_land_in_its_own_dict_where_arq_reads_them() -> None:
    class Settings(ftarq.WorkerSettings):
        ftjobs_create_timeout = 2.0
        ftjobs_wait_timeout = 4.0
        ftjobs_poll = PollPolicy(initial_interval=1.0)
        max_jobs = 3

    kwargs = get_kwargs(Settings)
    assert kwargs["queue_name"] == ftarq.QUEUE
    assert kwargs["max_jobs"] == 3
    assert kwargs["job_timeout"] == 4.0  # arq re-runs a dead worker's task after this + 10 s
    assert kwargs["job_serializer"]({"a": 1}) == b'{"a":1}'
    functions = {f.name: f for f in kwargs["functions"]}
    assert functions[ftarq.CREATE_TASK].timeout_s == 2.0
    assert functions[ftarq.WAIT_TASK].timeout_s == 4.0
    assert functions[ftarq.WAIT_TASK].max_tries == Settings.ftjobs_wait_max_tries >= 100_000
    assert callable(kwargs["on_startup"]) and callable(kwargs["on_shutdown"])


def test_redis_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FTJOBS_REDIS_URL", "unix:///tmp/r.sock")
    assert ftarq.redis_settings().unix_socket_path == "/tmp/r.sock"
    assert ftarq.redis_settings("redis://h:1234/2").port == 1234


async def test_enqueue_create_uses_the_stable_id_and_the_budget_for_expiry() -> None:
    pool = FakePool()
    params = {"model": "m", "training_file": "f"}
    assert await ftarq.enqueue_create(pool, params, key="exp-1", budget=7200)  # type: ignore[arg-type]
    assert not await ftarq.enqueue_create(pool, params, key="exp-1")  # type: ignore[arg-type]
    function, args, kwargs = pool.calls[0]
    assert function == ftarq.CREATE_TASK
    assert args[:3] == ("exp-1", params, 7200)
    assert kwargs["_job_id"] == "ftjobs:create:exp-1"
    assert kwargs["_queue_name"] == ftarq.QUEUE
    assert kwargs["_expires"] > 7200  # arq's default (a day) would kill a longer wait


async def test_enqueue_wait_dedups_by_job_id() -> None:
    pool = FakePool()
    assert await ftarq.enqueue_wait(pool, "ftjob-abc", budget=None)  # type: ignore[arg-type]
    _, _, kwargs = pool.calls[0]
    assert kwargs["_job_id"] == "ftjobs:wait:ftjob-abc"
    assert kwargs["_expires"] > 365 * 86400  # no budget: still a finite expiry


@pytest.mark.parametrize("budget", [0, -1, True, "1"])
async def test_enqueue_refuses_a_bad_budget(budget: Any) -> None:
    with pytest.raises(ValueError, match="budget"):
        await ftarq.enqueue_wait(FakePool(), "ftjob-abc", budget=budget)  # type: ignore[arg-type]


async def test_enqueue_create_refuses_a_bad_key() -> None:
    with pytest.raises(ValueError, match="key"):
        await ftarq.enqueue_create(FakePool(), {}, key="has space")  # type: ignore[arg-type]


class BrokenRedis:
    """A Redis whose reads find nothing and whose step record fails (a blip mid-step)."""

    async def hmget(self, key: str, fields: list[str]) -> list[None]:
        return [None] * len(fields)

    async def eval(self, *args: Any) -> Any:
        raise ConnectionError("redis went away")

    async def delete(self, key: str) -> int:
        return 0  # no webhook flag


class WokenRedis(BrokenRedis):
    """A Redis in which a webhook's flag is set while the step runs (``woken``), or never."""

    def __init__(self, *, woken: bool) -> None:
        self.flag = True  # an old webhook: the step is its look, and clears it first
        self.woken = woken
        self.recorded = 0

    async def delete(self, key: str) -> int:
        assert key.endswith(":wake")
        was, self.flag = self.flag, False
        return int(was)

    async def eval(self, *args: Any) -> Any:
        self.recorded += 1
        self.flag = self.woken  # the webhook came while the step was being recorded
        return [0, 0]


async def _one_step(
    settings: type[ftarq.WorkerSettings], redis: Any, emulator: Any, live_client: Any
) -> Any:
    """Run one wait step on a new running job, as a worker with ``settings`` would; return
    the arq ``Retry`` it ended with."""
    from arq.worker import Retry

    from tests._support.emulator import chat_file

    training = (await live_client.files.upload(chat_file(10), filename="t.jsonl")).id
    job = await live_client.jobs.create(model="gpt-4o-mini-2024-07-18", training_file=training)
    ctx: dict[str, Any] = {"redis": redis, "job_try": 1}
    await settings.startup(ctx)
    try:
        with pytest.raises(Retry) as info:
            await ftjobs_wait(ctx, job.id, 3600.0)
    finally:
        await settings.shutdown(ctx)
    return info.value


@pytest.fixture
def worker_env(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", emulator.api_key)
    monkeypatch.setenv("OPENAI_BASE_URL", emulator.base_url)


@pytest.mark.usefixtures("worker_env")
async def test_a_failed_write_re_runs_the_step_instead_of_ending_the_wait(
    emulator: Any, live_client: Any
) -> None:
    class Settings(ftarq.WorkerSettings):
        ftjobs_poll = PollPolicy(max_interval=3.0)

    retry = await _one_step(Settings, BrokenRedis(), emulator, live_client)
    assert retry.defer_score == 3000


@pytest.mark.usefixtures("worker_env")
async def test_a_webhook_during_a_step_makes_the_next_step_at_once(
    emulator: Any, live_client: Any
) -> None:
    class Settings(ftarq.WorkerSettings):
        ftjobs_poll = PollPolicy(initial_interval=30, max_interval=30, jitter=0)
        ftjobs_webhooks = True

    redis = WokenRedis(woken=True)
    retry = await _one_step(Settings, redis, emulator, live_client)
    assert redis.recorded == 1 and retry.defer_score == 0


@pytest.mark.usefixtures("worker_env")
async def test_with_webhooks_a_wait_step_defers_by_the_safety_interval(
    emulator: Any, live_client: Any
) -> None:
    deferred = {}
    for webhooks in (False, True):

        class Settings(ftarq.WorkerSettings):
            ftjobs_poll = PollPolicy(initial_interval=5, max_interval=5, jitter=0)
            ftjobs_webhooks = webhooks

        retry = await _one_step(Settings, WokenRedis(woken=False), emulator, live_client)
        deferred[webhooks] = retry.defer_score
    assert deferred == {False: 5000, True: 300_000}  # the default safety interval, 300 s


def test_every_arq_worker_option_set_on_a_base_class_reaches_arq() -> None:
    import inspect

    from arq.worker import Worker

    settled = {"functions", "job_timeout", "on_startup", "on_shutdown", "after_job_end"}
    names = [name for name in inspect.signature(Worker).parameters if name not in settled]
    marker = object()
    Base = type("Base", (ftarq.WorkerSettings,), dict.fromkeys(names, marker))
    Child = type("Child", (Base,), {})
    kwargs = get_kwargs(Child)
    assert [name for name in names if kwargs.get(name) is not marker] == []


@pytest.mark.parametrize(
    ("hook", "method"),
    [("on_startup", "startup"), ("on_shutdown", "shutdown"), ("after_job_end", "after_job")],
)
def test_setting_an_arq_hook_directly_is_refused_naming_the_method_to_override(
    hook: str, method: str
) -> None:
    async def mine(ctx: dict[str, Any]) -> None:
        pass

    with pytest.raises(TypeError, match=rf"sets {hook}.*override the class method {method}\(ctx\)"):
        type("Mine", (ftarq.WorkerSettings,), {hook: mine})


def test_campaign_members_are_registered_and_their_lease_must_outlast_a_rerun() -> None:
    class Settings(ftarq.WorkerSettings):
        ftjobs_wait_timeout = 20.0

    functions = {f.name: f for f in get_kwargs(Settings)["functions"]}
    member = functions[ftarq.CAMPAIGN_TASK]
    assert member.timeout_s == 20.0 and member.max_tries == Settings.ftjobs_wait_max_tries
    with pytest.raises(ValueError, match=r"lease_grace must outlast .* 20 s \+ 10 s"):

        class Short(Settings):
            ftjobs_campaign_lease_grace = 30.0

    with pytest.raises(ValueError, match="slot_poll"):

        class NoPoll(ftarq.WorkerSettings):
            ftjobs_campaign_slot_poll = 0.0
