"""What a campaign is: a name and its members, each the keyword arguments of one
``client.jobs.create``, checked locally before any request.

A plan comes three ways: explicit members (`Campaign`), a grid over a base
(`Campaign.grid`), or a mapping / TOML file holding either (`Campaign.from_plan`,
`Campaign.from_toml`). Every mistake is a [`CampaignPlanError`][ftjobs.CampaignPlanError]
naming where it is.

Where a grid's (or a plan member's) keys go: a key ``jobs.create`` takes (``seed``,
``suffix``, ``model``, ``training_file``...) replaces the base's value; a hyperparameter name
(``n_epochs``, ``batch_size``, ``learning_rate_multiplier``, ``beta``...) goes into the
hyperparameters of the base's ``method`` (``method.<type>.hyperparameters``), or into the
base's top-level ``hyperparameters`` when the base has those and no method, or else into a
supervised method made for it. A member's ``params`` are its grid point (its member table in a
plan); for explicit members, the values in which the members differ.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from os import PathLike
from typing import Any

import attrs

from .. import _validation as check
from .._converter import unstructure
from .._errors import CampaignPlanError
from .._hyperparameters import RULES, check_hyperparameters
from ._identity import RESERVED_KEYS

__all__ = [
    "CREATE_KEYS",
    "HYPERPARAMETER_NAMES",
    "MAX_MEMBERS",
    "MAX_NAME",
    "Campaign",
    "CampaignMemberSpec",
]

MAX_NAME = 128
"""The longest campaign name (it is a metadata value on every member's job)."""
MAX_MEMBERS = 10_000
"""The most members one campaign may have."""
_NAME = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_NAME - 1}}}", re.ASCII)

CREATE_KEYS = (
    "model",
    "training_file",
    "validation_file",
    "suffix",
    "seed",
    "metadata",
    "integrations",
    "method",
    "hyperparameters",
)
"""The ``client.jobs.create`` arguments a member may hold (per-call options are not)."""
HYPERPARAMETER_NAMES = frozenset(name for rules in RULES.values() for name in rules)
"""The hyperparameter names a grid (or a plan member) may set directly."""
_PLAN_KEYS = frozenset({"name", "base", "grid", "members"})
_OWN_METADATA_MAX = check.METADATA_MAX_PAIRS - len(RESERVED_KEYS)


def _fail(where: str, message: str) -> CampaignPlanError:
    return CampaignPlanError(f"{where}: {message}")


def _name(value: object) -> str:
    if not isinstance(value, str):
        raise CampaignPlanError(f"name must be a str, got {type(value).__name__}")
    if not value:
        raise CampaignPlanError("name must not be empty")
    if len(value) > MAX_NAME:
        raise CampaignPlanError(
            f"name is {len(value)} characters; at most {MAX_NAME} (it is stored in every "
            "member's metadata)"
        )
    if not _NAME.fullmatch(value):
        raise CampaignPlanError(
            f"name {value!r} must start with a letter or digit and hold only letters, digits, "
            "'.', '_' and '-'"
        )
    return value


def _json(value: Any) -> Any:
    """A member value as plain JSON data (models unstructured), for checks and comparison."""
    if isinstance(value, Mapping):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return _json(unstructure(value))


def _checked(where: str, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The member's create arguments as plain data, or the first problem, located."""
    if not isinstance(kwargs, Mapping):
        raise _fail(where, f"must be a mapping of create arguments, got {type(kwargs).__name__}")
    unknown = [key for key in kwargs if key not in CREATE_KEYS]
    if unknown:
        raise _fail(where, f"unknown key {unknown[0]!r} (a member takes {', '.join(CREATE_KEYS)})")
    body = {key: _json(value) for key, value in kwargs.items() if value is not None}
    try:
        check.require_str("model", body.get("model"))
        check.require_str("training_file", body.get("training_file"))
        check.optional_str("validation_file", body.get("validation_file"))
        check.suffix(body.get("suffix"))
        check.seed(body.get("seed"))
        own = check.metadata("metadata", body.get("metadata")) or {}
        method = check.plain_mapping("method", body.get("method"))
        if method is not None:
            check.method_type(method)
        check_hyperparameters("hyperparameters", body.get("hyperparameters"))
        integrations = body.get("integrations")
        if integrations is not None and not isinstance(integrations, list):
            raise TypeError("integrations must be a sequence")
    except (TypeError, ValueError) as exc:
        raise _fail(where, str(exc)) from None
    taken = sorted(RESERVED_KEYS & own.keys())
    if taken:
        raise _fail(where, f"metadata key {taken[0]!r} is the campaign's own")
    if len(own) > _OWN_METADATA_MAX:
        raise _fail(
            where,
            f"metadata has {len(own)} pairs; at most {_OWN_METADATA_MAX} (the campaign adds "
            f"{len(RESERVED_KEYS)} of the {check.METADATA_MAX_PAIRS})",
        )
    return body


def _with_point(base: Mapping[str, Any], point: Mapping[str, Any], where: str) -> dict[str, Any]:
    """``base`` with the point's values: create arguments replaced, hyperparameters placed
    where ``jobs.create`` expects them (see the module docstring)."""
    body = {key: _json(value) for key, value in base.items()}
    hyper: dict[str, Any] = {}
    for key, value in point.items():
        if key in CREATE_KEYS:
            body[key] = _json(value)
        elif key in HYPERPARAMETER_NAMES:
            hyper[key] = _json(value)
        else:
            raise _fail(
                f"{where}.{key}",
                "unknown key (neither a create argument nor a hyperparameter: "
                f"{', '.join(sorted(HYPERPARAMETER_NAMES))})",
            )
    if not hyper:
        return body
    method = body.get("method")
    if isinstance(method, Mapping):
        kind = method.get("type")
        rules = RULES.get(kind) if isinstance(kind, str) else None
        if rules is None:
            raise _fail(f"{where}", f"base method.type {kind!r} is not one of {', '.join(RULES)}")
        wrong = [key for key in hyper if key not in rules]
        if wrong:
            raise _fail(f"{where}.{wrong[0]}", f"not a hyperparameter of the {kind} method")
        inner = dict(method.get(kind) or {})
        inner["hyperparameters"] = {**(inner.get("hyperparameters") or {}), **hyper}
        body["method"] = {**method, kind: inner}
    elif "hyperparameters" in body:
        body["hyperparameters"] = {**(body["hyperparameters"] or {}), **hyper}
    else:
        wrong = [key for key in hyper if key not in RULES["supervised"]]
        if wrong:
            raise _fail(
                f"{where}.{wrong[0]}", "not a supervised hyperparameter; give the base a method"
            )
        body["method"] = {"type": "supervised", "supervised": {"hyperparameters": hyper}}
    return body


def _flat(body: Mapping[str, Any]) -> dict[str, Any]:
    """A member's comparable values: scalar create arguments and its hyperparameters."""
    flat = {
        key: value
        for key, value in body.items()
        if key not in ("metadata", "integrations", "method", "hyperparameters")
    }
    method = body.get("method")
    hyper: Any = body.get("hyperparameters")
    if isinstance(method, Mapping):
        hyper = (method.get(str(method.get("type"))) or {}).get("hyperparameters")
    flat.update(hyper or {})
    return flat


def _differing(bodies: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each member's values where the members differ (its ``params``, members given whole)."""
    flats = [_flat(body) for body in bodies]
    keys = list(dict.fromkeys(key for flat in flats for key in flat))
    varying = [k for k in keys if len({_canonical(flat.get(k)) for flat in flats}) > 1]
    return [{k: flat.get(k) for k in varying} for flat in flats]


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


@attrs.frozen
class CampaignMemberSpec:
    """One member of a [`Campaign`][ftjobs.Campaign], before it runs.

    Attributes:
        index: Its position in the campaign (0-based); its identity on the server.
        params: Its grid point (or plan member table, or where explicit members differ).
        create_kwargs: The keyword arguments of its ``client.jobs.create``, as plain JSON data
            (without the campaign's metadata keys, which each attempt adds).
    """

    index: int
    params: Mapping[str, Any]
    create_kwargs: Mapping[str, Any]

    @property
    def model(self) -> str:
        """The member's base model."""
        return str(self.create_kwargs["model"])


class Campaign:
    """A named set of fine-tuning jobs to run to completion (see ``client.jobs.run_campaign``).

    Args:
        name: 1 to 128 letters, digits, ``.``, ``_`` and ``-``. Every member's metadata and
            idempotency key derive from it: the same name resumes the same campaign.
        members: Each the keyword arguments of ``client.jobs.create`` (``model``,
            ``training_file``, ``method``, ``metadata``...), distinct, at least one.
        params: Each member's ``params`` (default: the values in which the members differ,
            hyperparameters by their names).

    Raises:
        CampaignPlanError: The name or a member is not valid (before any request).
    """

    __slots__ = ("members", "name")

    def __init__(
        self,
        name: str,
        members: Sequence[Mapping[str, Any]],
        *,
        params: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        self.name = _name(name)
        """The campaign's name."""
        if isinstance(members, (str, bytes, Mapping)) or not isinstance(members, Sequence):
            raise CampaignPlanError("members must be a sequence of mappings of create arguments")
        if not members:
            raise CampaignPlanError("members must hold at least one member")
        if len(members) > MAX_MEMBERS:
            raise CampaignPlanError(f"members: {len(members)} given; at most {MAX_MEMBERS}")
        bodies = [_checked(f"members[{i}]", member) for i, member in enumerate(members)]
        seen: dict[str, int] = {}
        for i, body in enumerate(bodies):
            first = seen.setdefault(_canonical(body), i)
            if first != i:
                raise CampaignPlanError(f"members[{i}] is the same job as members[{first}]")
        points = [dict(p) for p in params] if params is not None else _differing(bodies)
        self.members = tuple(
            CampaignMemberSpec(i, point, body)
            for i, (point, body) in enumerate(zip(points, bodies, strict=True))
        )
        """The members, in order (`CampaignMemberSpec`)."""

    def __repr__(self) -> str:
        return f"Campaign({self.name!r}, {len(self.members)} members)"

    def __len__(self) -> int:
        return len(self.members)

    @property
    def fingerprint(self) -> str:
        """A digest of the name and every member's create arguments (a state file written
        for another plan under the same name is refused by it)."""
        text = _canonical([self.name, [dict(m.create_kwargs) for m in self.members]])
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    @classmethod
    def grid(
        cls, name: str, *, base: Mapping[str, Any], grid: Mapping[str, Sequence[Any]]
    ) -> Campaign:
        """Every combination of the ``grid``'s values over ``base``, the last key varying
        fastest.

        Args:
            name: The campaign's name.
            base: Create arguments shared by every member.
            grid: Key -> the values to try (a create argument such as ``seed``, or a
                hyperparameter name such as ``n_epochs``; see the module docstring).

        Raises:
            CampaignPlanError: An empty grid or axis, a repeated value, an unknown key.
        """
        if not isinstance(base, Mapping):
            raise CampaignPlanError(f"base must be a mapping, got {type(base).__name__}")
        if not isinstance(grid, Mapping):
            raise CampaignPlanError(f"grid must be a mapping, got {type(grid).__name__}")
        if not grid:
            raise CampaignPlanError("grid must hold at least one key")
        axes: list[list[Any]] = []
        for key, values in grid.items():
            if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Sequence):
                raise CampaignPlanError(f"grid.{key} must be a list of values")
            if not values:
                raise CampaignPlanError(f"grid.{key} is empty")
            axes.append(list(values))
        points = [dict(zip(grid, combo, strict=True)) for combo in itertools.product(*axes)]
        return cls._from_points(name, base, points, "grid")

    @classmethod
    def _from_points(
        cls, name: str, base: Mapping[str, Any], points: Iterable[Mapping[str, Any]], where: str
    ) -> Campaign:
        points = list(points)
        members = [_with_point(base, point, f"{where}") for point in points]
        return cls(name, members, params=points)

    @classmethod
    def from_plan(cls, plan: Mapping[str, Any]) -> Campaign:
        """A campaign from a plan: ``name``, ``base`` (optional with ``members``), and either
        ``grid`` (key -> values) or ``members`` (a list of tables, each applied over the base
        as a grid point is).

        Raises:
            CampaignPlanError: A missing or unknown key, both or neither of ``grid`` and
                ``members``, or any problem of the plan's members.
        """
        if not isinstance(plan, Mapping):
            raise CampaignPlanError(f"the plan must be a mapping, got {type(plan).__name__}")
        unknown = sorted(set(plan) - _PLAN_KEYS)
        if unknown:
            raise CampaignPlanError(
                f"the plan has an unknown key {unknown[0]!r} (it takes name, base, and grid or "
                "members)"
            )
        if "name" not in plan:
            raise CampaignPlanError("the plan has no name")
        if ("grid" in plan) == ("members" in plan):
            raise CampaignPlanError("the plan must have either grid or members, not both")
        base = plan.get("base", {})
        if not isinstance(base, Mapping):
            raise CampaignPlanError(f"base must be a table, got {type(base).__name__}")
        if "grid" in plan:
            return cls.grid(plan["name"], base=base, grid=plan["grid"])
        members = plan["members"]
        if not isinstance(members, list) or not members:
            raise CampaignPlanError("members must be a non-empty list of tables")
        for i, member in enumerate(members):
            if not isinstance(member, Mapping):
                raise CampaignPlanError(f"members[{i}] must be a table")
        name = plan["name"]
        _name(name)
        bodies = [_with_point(base, member, f"members[{i}]") for i, member in enumerate(members)]
        return cls(name, bodies, params=members)

    @classmethod
    def from_toml(cls, path: str | PathLike[str]) -> Campaign:
        """A campaign from a TOML plan file (see `from_plan` for its keys)::

            name = "lr-sweep"
            [base]
            model = "gpt-4o-mini-2024-07-18"
            training_file = "file-abc"
            [grid]
            n_epochs = [1, 2, 3]
            learning_rate_multiplier = [0.5, 1.0]

        Raises:
            CampaignPlanError: The file cannot be read, is not TOML, or its plan is invalid.
        """
        try:
            with open(path, "rb") as file:
                plan = tomllib.load(file)
        except OSError as exc:
            raise CampaignPlanError(f"{path}: cannot read the plan: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise CampaignPlanError(f"{path}: not a TOML plan: {exc}") from None
        try:
            return cls.from_plan(plan)
        except CampaignPlanError as exc:
            raise CampaignPlanError(f"{path}: {exc}") from None
