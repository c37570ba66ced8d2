"""Campaign plans: members, grids, plan mappings and TOML files, each mistake a typed error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import ftjobs
from ftjobs import Campaign, CampaignPlanError

BASE: dict[str, Any] = {"model": "gpt-4o-mini-2024-07-18", "training_file": "file-t"}


def test_a_grid_crosses_its_axes_the_last_fastest_and_places_hyperparameters() -> None:
    campaign = Campaign.grid(
        "sweep", base=BASE, grid={"n_epochs": [1, 2], "learning_rate_multiplier": [0.5, 1.0, 2.0]}
    )
    assert campaign.name == "sweep" and len(campaign.members) == 6
    assert [m.index for m in campaign.members] == list(range(6))
    assert [m.params for m in campaign.members][:4] == [
        {"n_epochs": 1, "learning_rate_multiplier": 0.5},
        {"n_epochs": 1, "learning_rate_multiplier": 1.0},
        {"n_epochs": 1, "learning_rate_multiplier": 2.0},
        {"n_epochs": 2, "learning_rate_multiplier": 0.5},
    ]
    # No method in the base: the hyperparameters go into a supervised method.
    assert campaign.members[3].create_kwargs == {
        **BASE,
        "method": {
            "type": "supervised",
            "supervised": {"hyperparameters": {"n_epochs": 2, "learning_rate_multiplier": 0.5}},
        },
    }


def test_a_grid_keeps_the_base_method_and_replaces_create_arguments() -> None:
    method = ftjobs.FineTuneMethod.dpo_method(ftjobs.DpoHyperparameters(n_epochs=2))
    campaign = Campaign.grid(
        "dpo", base={**BASE, "method": method}, grid={"beta": [0.1, 0.2], "seed": [7]}
    )
    kwargs = campaign.members[1].create_kwargs
    assert kwargs["seed"] == 7
    assert kwargs["method"]["type"] == "dpo"
    assert kwargs["method"]["dpo"]["hyperparameters"] == {"n_epochs": 2, "beta": 0.2}
    with pytest.raises(CampaignPlanError, match=r"grid\.beta: not a supervised hyperparameter"):
        Campaign.grid("sft", base=BASE, grid={"beta": [0.1]})
    legacy = Campaign.grid(
        "legacy", base={**BASE, "hyperparameters": {"batch_size": 4}}, grid={"n_epochs": [1]}
    )
    assert legacy.members[0].create_kwargs["hyperparameters"] == {"batch_size": 4, "n_epochs": 1}
    assert "method" not in legacy.members[0].create_kwargs


def test_explicit_members_have_as_params_what_differs_between_them() -> None:
    campaign = Campaign(
        "pair",
        [{**BASE, "suffix": "a", "seed": 1}, {**BASE, "suffix": "b", "seed": 1}],
    )
    assert [m.params for m in campaign.members] == [{"suffix": "a"}, {"suffix": "b"}]
    assert campaign.members[1].model == BASE["model"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Campaign("", [BASE]), "name must not be empty"),
        (lambda: Campaign("x" * 129, [BASE]), "at most 128"),
        (lambda: Campaign("a b", [BASE]), "must start with a letter"),
        (lambda: Campaign("ok", []), "at least one member"),
        (
            lambda: Campaign("ok", [BASE, dict(BASE)]),
            r"members\[1\] is the same job as members\[0\]",
        ),
        (lambda: Campaign("ok", [{**BASE, "colour": 1}]), r"members\[0\]: unknown key 'colour'"),
        (lambda: Campaign("ok", [{"model": "m"}]), "training_file"),
        (lambda: Campaign("ok", [{**BASE, "seed": -1}]), "seed"),
        (
            lambda: Campaign("ok", [{**BASE, "metadata": {"ftjobs_member": "3"}}]),
            "'ftjobs_member' is the campaign's own",
        ),
        (
            lambda: Campaign("ok", [{**BASE, "metadata": {f"k{i}": "v" for i in range(14)}}]),
            "at most 13",
        ),
        (lambda: Campaign.grid("ok", base=BASE, grid={}), "grid must hold at least one key"),
        (lambda: Campaign.grid("ok", base=BASE, grid={"n_epochs": []}), "grid.n_epochs is empty"),
        (lambda: Campaign.grid("ok", base=BASE, grid={"n_epochs": "12"}), "must be a list"),
        (lambda: Campaign.grid("ok", base=BASE, grid={"n_epochs": [1, 1]}), "same job"),
        (lambda: Campaign.grid("ok", base=BASE, grid={"n_epochs": [0]}), "n_epochs"),
        (
            lambda: Campaign.grid("ok", base=BASE, grid={"epochs": [1]}),
            r"grid\.epochs: unknown key",
        ),
    ],
)
def test_bad_plans_are_refused_with_a_typed_error_naming_the_problem(
    make: Any, message: str
) -> None:
    with pytest.raises(CampaignPlanError, match=message):
        make()


def test_a_plan_error_is_a_value_error_of_the_package() -> None:
    assert issubclass(CampaignPlanError, ftjobs.FTJobsError)
    assert issubclass(CampaignPlanError, ValueError)


def test_from_plan_takes_a_grid_or_members_over_a_base() -> None:
    grid = Campaign.from_plan({"name": "g", "base": BASE, "grid": {"n_epochs": [1, 2]}})
    assert [m.params for m in grid.members] == [{"n_epochs": 1}, {"n_epochs": 2}]
    listed = Campaign.from_plan(
        {"name": "m", "base": BASE, "members": [{"n_epochs": 3}, {"suffix": "x", "seed": 2}]}
    )
    assert [m.params for m in listed.members] == [{"n_epochs": 3}, {"suffix": "x", "seed": 2}]
    assert listed.members[1].create_kwargs == {**BASE, "suffix": "x", "seed": 2}
    for bad, message in [
        ({"base": BASE, "grid": {"n_epochs": [1]}}, "no name"),
        ({"name": "x", "base": BASE}, "either grid or members"),
        ({"name": "x", "grid": {"n_epochs": [1]}, "members": [{}]}, "either grid or members"),
        ({"name": "x", "grid": {}, "extra": 1}, "unknown key 'extra'"),
        ({"name": "x", "members": []}, "non-empty list"),
    ]:
        with pytest.raises(CampaignPlanError, match=message):
            Campaign.from_plan(bad)


def test_from_toml_reads_a_plan_file(tmp_path: Path) -> None:
    path = tmp_path / "plan.toml"
    path.write_text(
        'name = "lr-sweep"\n'
        "[base]\n"
        'model = "gpt-4o-mini-2024-07-18"\n'
        'training_file = "file-t"\n'
        "[grid]\n"
        "n_epochs = [1, 2, 3]\n"
        "learning_rate_multiplier = [0.5, 1.0]\n",
        encoding="utf-8",
    )
    campaign = Campaign.from_toml(path)
    assert campaign.name == "lr-sweep" and len(campaign.members) == 6
    members = tmp_path / "members.toml"
    members.write_text(
        'name = "two"\n[base]\nmodel = "m"\ntraining_file = "f"\n'
        "[[members]]\nn_epochs = 1\n[[members]]\nn_epochs = 2\nseed = 3\n",
        encoding="utf-8",
    )
    assert [m.params for m in Campaign.from_toml(members).members] == [
        {"n_epochs": 1},
        {"n_epochs": 2, "seed": 3},
    ]
    broken = tmp_path / "broken.toml"
    broken.write_text("name = [", encoding="utf-8")
    with pytest.raises(CampaignPlanError, match=r"broken\.toml: not a TOML plan"):
        Campaign.from_toml(broken)
    with pytest.raises(CampaignPlanError, match="cannot read the plan"):
        Campaign.from_toml(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[grid]\nn_epochs = []\n', encoding="utf-8")
    with pytest.raises(CampaignPlanError, match=r"bad.toml: grid.n_epochs is empty"):
        Campaign.from_toml(bad)


def test_the_fingerprint_follows_the_plan() -> None:
    one = Campaign.grid("f", base=BASE, grid={"n_epochs": [1, 2]})
    same = Campaign("f", [m.create_kwargs for m in one.members])
    other = Campaign.grid("f", base=BASE, grid={"n_epochs": [1, 3]})
    assert one.fingerprint == same.fingerprint != other.fingerprint
