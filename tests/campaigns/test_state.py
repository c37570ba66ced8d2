"""The campaign's local state file: what it records, atomic saves, and refusing another
campaign's or another plan's file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ftjobs import CampaignPlanError
from ftjobs.campaigns._state import CampaignState


def test_records_survive_a_new_process_and_are_written_whole(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    state = CampaignState(path, "sweep", "f1")
    assert state.jobs == {} and not path.exists()  # nothing saved before the first record
    state.record(0, 0, "ftjob-a")
    state.record(0, 1, "ftjob-b")
    state.record(3, 0, "ftjob-c")
    assert json.loads(path.read_text(encoding="utf-8"))["jobs"] == {
        "0": {"0": "ftjob-a", "1": "ftjob-b"},
        "3": {"0": "ftjob-c"},
    }
    assert CampaignState(path, "sweep", "f1").jobs == {
        0: {0: "ftjob-a", 1: "ftjob-b"},
        3: {0: "ftjob-c"},
    }
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # no temporary left behind


def test_another_campaigns_or_plans_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    CampaignState(path, "sweep", "f1").record(0, 0, "ftjob-a")
    with pytest.raises(CampaignPlanError, match="campaign 'sweep''s, not 'other''s"):
        CampaignState(path, "other", "f1")
    with pytest.raises(CampaignPlanError, match="another plan"):
        CampaignState(path, "sweep", "f2")
    path.write_text("{half", encoding="utf-8")
    with pytest.raises(CampaignPlanError, match="not a campaign state file"):
        CampaignState(path, "sweep", "f1")
