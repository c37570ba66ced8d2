"""Memory of ``check_training_file`` on a large file (``nox -s bench_check``).

A training file of ``--mb`` megabytes (default 500) is generated: varied supervised examples,
with system prompts, multi-turn chats, tool calls and their answers, weights. It is then
checked with ``ftjobs.check_training_file``, which reads it one line at a time.

Reported: the resident set size before the check (after a warm-up check of a small file, so
imports are counted out), its peak during the check (sampled every 5 ms), the growth, which
the project's target keeps under 100 MB, and the time and throughput (for information only).

Usage: ``python bench/check_memory.py [--mb 500] [--out bench/results]``; writes
``check_memory.json`` and ``check_memory.md`` there (``--out -`` prints only).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.upload_memory import PeakSampler, status_mb
from ftjobs import check_training_file

TARGET_MB = 100.0


def _example(i: int) -> dict[str, Any]:
    """One of a few example shapes, varied by ``i`` so no two lines are the same."""
    question = f"Question {i}: what is the forecast for city number {i % 977}?"
    if i % 3 == 0:
        call = {
            "id": f"call_{i}",
            "type": "function",
            "function": {"name": "get_forecast", "arguments": json.dumps({"city": i % 977})},
        }
        return {
            "tools": [
                {
                    "type": "function",
                    "function": {
                        "name": "get_forecast",
                        "parameters": {
                            "type": "object",
                            "properties": {"city": {"type": "integer"}},
                        },
                    },
                }
            ],
            "messages": [
                {"role": "user", "content": question},
                {"role": "assistant", "tool_calls": [call], "weight": 0},
                {"role": "tool", "tool_call_id": f"call_{i}", "content": "Sunny, 21 C."},
                {"role": "assistant", "content": "Sunny and 21 degrees.", "weight": 1},
            ],
        }
    messages = [{"role": "system", "content": "You are a terse weather assistant."}]
    for turn in range(1 + i % 4):
        messages.append({"role": "user", "content": f"{question} (turn {turn})"})
        messages.append({"role": "assistant", "content": "Light rain after noon. " * (1 + i % 5)})
    return {"messages": messages}


def write_file(path: Path, megabytes: int) -> tuple[int, int]:
    """Write a training file of about ``megabytes`` MiB; return its size and example count."""
    target = megabytes * 2**20
    size = examples = 0
    with path.open("wb") as handle:
        block: list[bytes] = []
        while size < target:
            line = json.dumps(_example(examples)).encode() + b"\n"
            block.append(line)
            size += len(line)
            examples += 1
            if len(block) == 2048:
                handle.write(b"".join(block))
                block.clear()
        handle.write(b"".join(block))
    return size, examples


def measure(megabytes: int) -> dict[str, Any]:
    """Generate and check a file of ``megabytes`` MiB; return the figures."""
    with tempfile.TemporaryDirectory(prefix="ftjobs-check-") as tmp:
        path = Path(tmp) / "train.jsonl"
        size, examples = write_file(path, megabytes)
        warm_up = Path(tmp) / "small.jsonl"
        write_file(warm_up, 1)
        check_training_file(warm_up)
        before = status_mb("VmRSS")
        started = time.perf_counter()
        with PeakSampler() as sampler:
            report = check_training_file(path)
        elapsed = time.perf_counter() - started
    if not report.ok or report.n_examples != examples or report.n_bytes != size:
        raise RuntimeError(f"unexpected report: {report.errors[:3]}, {report.n_examples}")
    return {
        "file_mb": round(size / 2**20, 1),
        "examples": examples,
        "tokens": report.n_tokens,
        "tokenizer": report.tokenizer,
        "warnings": len(report.warnings),
        "rss_before_mb": round(before, 1),
        "rss_peak_mb": round(sampler.peak, 1),
        "rss_growth_mb": round(sampler.peak - before, 1),
        "target_growth_mb": TARGET_MB,
        "seconds": round(elapsed, 1),
        "mb_per_second": round(size / 2**20 / elapsed, 1),
        "python": platform.python_version(),
    }


def _markdown(result: dict[str, Any]) -> str:
    return "\n".join(
        [
            "# Memory of check_training_file on a large file",
            "",
            f"`python bench/check_memory.py --mb {round(result['file_mb'])}` "
            f"(Python {result['python']}; tokens: {result['tokenizer']}).",
            "",
            "| file | examples | RSS before | RSS peak | growth | target | time |",
            "|---|---|---|---|---|---|---|",
            f"| {result['file_mb']} MiB | {result['examples']} | {result['rss_before_mb']} MiB "
            f"| {result['rss_peak_mb']} MiB | **{result['rss_growth_mb']} MiB** "
            f"| < {result['target_growth_mb']} MiB | {result['seconds']} s "
            f"({result['mb_per_second']} MiB/s) |",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """Command line: measure, print, and write the results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--mb", type=int, default=500, help="file size in MiB")
    parser.add_argument("--out", default="bench/results", help="directory, or - to only print")
    args = parser.parse_args(argv)
    result = measure(args.mb)
    print(json.dumps(result, sort_keys=True))
    if args.out != "-":
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "check_memory.json").write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
        (out / "check_memory.md").write_text(_markdown(result))
    return 0 if result["rss_growth_mb"] < TARGET_MB else 1


if __name__ == "__main__":
    sys.exit(main())
