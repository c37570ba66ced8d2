"""The campaign report: the best row, CSV, and a table that fits its width (pure)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from ftjobs.campaigns import CampaignReport, CampaignRow


def _report() -> CampaignReport:
    return CampaignReport(
        "sweep",
        (
            CampaignRow(0, {"n_epochs": 1, "learning_rate_multiplier": 0.5}, "ftjob-a",
                        "succeeded", train_loss=0.9, valid_loss=0.7, wall_time=60.0,
                        best_checkpoint_step=3, best_checkpoint_valid_loss=0.65, attempts=1),
            CampaignRow(1, {"n_epochs": 2, "learning_rate_multiplier": 0.5}, "ftjob-b",
                        "succeeded", train_loss=0.5, valid_loss=0.7, wall_time=30.0,
                        best_checkpoint_step=6, best_checkpoint_valid_loss=0.4, attempts=2),
            CampaignRow(2, {"n_epochs": 3, "learning_rate_multiplier": 0.5}, "ftjob-c",
                        "failed", valid_loss=0.1, wall_time=5.0, attempts=1),
            CampaignRow(3, {"n_epochs": 4, "learning_rate_multiplier": 0.5}, None, "pending"),
        ),
    )  # fmt: skip


def test_best_ranks_succeeded_rows_lower_first_ties_to_the_lower_index() -> None:
    report = _report()
    assert report.best().index == 0  # type: ignore[union-attr]  # tie 0.7: the lower index
    assert report.best("train_loss").index == 1  # type: ignore[union-attr]
    assert report.best("best_valid_loss").index == 1  # type: ignore[union-attr]
    assert report.best("wall_time").index == 1  # type: ignore[union-attr]  # a failed 5 s run is no winner
    with pytest.raises(ValueError, match="metric must be one of"):
        report.best("accuracy")
    assert CampaignReport("none", ()).best() is None
    assert not report.complete and len(report.succeeded) == 2


def test_csv_has_a_column_per_parameter(tmp_path: Path) -> None:
    out = io.StringIO()
    _report().to_csv(out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert list(rows[0])[:4] == ["index", "n_epochs", "learning_rate_multiplier", "job_id"]
    assert rows[1]["valid_loss"] == "0.7" and rows[1]["attempts"] == "2"
    assert rows[3]["job_id"] == "" and rows[3]["status"] == "pending"
    path = tmp_path / "r.csv"
    _report().to_csv(path)
    assert path.read_text(encoding="utf-8") == out.getvalue()


@pytest.mark.parametrize("width", [20, 40, 60, 80, 120])
def test_the_table_fits_its_width(width: int) -> None:
    text = _report().table(width=width)
    lines = text.splitlines()
    assert len(lines) == 5
    assert all(len(line) <= width for line in lines), text
    assert lines[0].startswith("#")
    assert lines[1].startswith("0")


def test_a_wide_table_shows_everything() -> None:
    text = _report().table(width=200)
    assert "n_epochs=1 learning_rate_multiplier=0.5" in text
    assert "ftjob-b" in text and "train_loss" in text
    with pytest.raises(ValueError, match="width"):
        _report().table(width=5)
