"""The fast path of `ftjobs._converter.structure`: one generated function per model type.

Why it exists: measured speed. The validating cattrs hooks report every problem of a payload
with its path, at the price of a try/except, a notes list and a kwargs dict per field; listing
jobs or events spent most of its client time there (`python -m bench`, workloads W1 and W4).
A response almost always fits, so `structure` first runs the function this module generates
for the type: straight-line code with the same checks, no bookkeeping, positional (or direct
slot) construction.

The contract, which `tests/test_converter.py` (the agreement tests) holds it to:

- **Never looser, never different.** For any JSON value, `fast_hook(tp)(value)` either returns
  a model equal to what the validating path returns (same values, same types, the same
  `extra`), or raises. Anything it is unsure of (a shape it does not generate code for, a
  value that does not fit) makes it raise `Fallback`.
- **It reports nothing.** On any exception from it, `structure` runs the validating path,
  which decides and writes the error report. So a bad payload costs both paths, a good one
  only this one.
- **Same rules, one source.** The scalar checks, the type predicates and the status table are
  `ftjobs._shapes`, shared with the validating hooks; the small hooks for literals and
  ``"auto"`` unions are called as they are.
- Functions are generated on first use of a type and cached for the life of the process; a
  type the generator does not cover gets a function that always falls back.
- A model's function takes the response's request id as an optional second argument and
  stores it on the model it builds (``request_id``).
- **Nested models on first read, checked now.** A model's optional nested model (a job's
  ``method`` and ``hyperparameters``, a method's ``supervised``...) is checked when its parent
  is built, by a generated check function with the very checks of its fast function, and kept
  as its JSON object; the slot's descriptor (`LazyField`) builds the model the first time the
  field is read (its own nested models again on theirs). So a payload that does not fit still
  fails in `structure`, before the call returns, and an untouched nested part costs no
  objects (listing 10,000 jobs spent a third of its time building and collecting them). The
  JSON object is the caller's: `structure` takes ownership of the data it is given.
- **Same objects.** A frozen slotted model is filled through its builder (`builder_of`): a
  plain class with the model's very slot layout, whose slots take plain stores, the cheapest
  Python has; the filled instance is then given the model's class. What comes out *is* an
  instance of the model, like any other (type, equality, hash, repr, frozenness, evolve,
  pickle, copy; `tests/test_fastpath.py` holds it to that). A class whose layout cannot be
  shared that way is built through its slot descriptors instead.

It knows no HTTP and imports neither aiohttp nor cattrs.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any, TypeVar, get_args, get_origin, get_type_hints

import attrs

from . import _shapes as shapes
from ._models import JobError
from ._types import RARE

__all__ = ["Fallback", "LazyField", "builder_of", "check_hook", "fast_hook"]


class Fallback(Exception):
    """The fast path declines; the validating path decides."""


_MISSING: Any = object()
_FastHook = Callable[..., Any]  # (value) or, for a model, (value, request_id)
_fast_hooks: dict[Any, _FastHook] = {}
_check_hooks: dict[Any, _FastHook] = {}


def fast_hook(tp: Any) -> _FastHook:
    """The fast structuring function of ``tp``, generated on first use and cached."""
    hook = _fast_hooks.get(tp)
    if hook is None:
        # A type that refers to itself takes the validating path at the inner reference.
        _fast_hooks[tp] = _always_fallback
        try:
            hook = _make_fast_hook(tp)
        except Exception:
            # A type the generator does not cover (an unbound type variable...): always
            # take the validating path for it.
            hook = _always_fallback
        _fast_hooks[tp] = hook
    return hook


def check_hook(tp: Any) -> _FastHook:
    """A function that raises where ``fast_hook(tp)`` would and builds nothing (for a model or
    an optional model; for another type, the fast function itself, its result dropped)."""
    hook = _check_hooks.get(tp)
    if hook is None:
        _check_hooks[tp] = fast_hook(tp)  # a type that refers to itself: built at the inner one
        try:
            hook = _make_check_hook(tp)
        except Exception:
            hook = fast_hook(tp)
        _check_hooks[tp] = hook
    return hook


def _make_check_hook(tp: Any) -> _FastHook:
    if shapes.is_model(tp) and not _delegated(tp) and not shapes.is_job_error(tp):
        return _fast_model(tp, check=True)
    inner = _plain_optional(tp)
    if inner is not None and shapes.is_model(inner):
        check = check_hook(inner)
        return lambda value: None if value is None else check(value)
    return fast_hook(tp)


class LazyField:
    """The descriptor of a slot that may hold a nested model's JSON object (checked already):
    read, it builds the model once and keeps it in the slot. Setting and deleting go to the
    slot as they would without it."""

    __slots__ = ("_build", "_slot")

    def __init__(self, slot: Any, build: _FastHook) -> None:
        self._slot = slot
        self._build = build

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self
        value = self._slot.__get__(obj, owner)
        if value.__class__ is dict:
            try:
                built = self._build(value)
            except Exception:
                # Not JSON that structure checked: a dict handed to the constructor, kept as
                # given (as it was before nested models were built on first read).
                return value
            self._slot.__set__(obj, built)
            return built
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        self._slot.__set__(obj, value)

    def __delete__(self, obj: Any) -> None:
        self._slot.__delete__(obj)


def _lazy_model(cls: type, name: str, ftype: Any) -> Any:
    """The nested model type of field ``name`` if it can be built on first read, else None:
    an optional plain-slotted model, in a class of plain slots."""
    inner = _plain_optional(ftype)
    if inner is None or not shapes.is_model(inner) or shapes.is_job_error(ftype):
        return None
    return inner if _slot_descriptor(cls, name) is not None else None


def _slot_descriptor(cls: type, name: str) -> Any:
    descriptor = cls.__dict__.get(name)
    if isinstance(descriptor, LazyField):
        return descriptor
    return descriptor if type(descriptor).__name__ == "member_descriptor" else None


def _any(value: Any) -> Any:
    return value


def _always_fallback(value: Any, request_id: Any = None) -> Any:
    raise Fallback


def _delegated(tp: Any) -> bool:
    # Small hooks that gain nothing from a fast twin: called directly, as (value, type).
    return shapes.is_auto_union(tp) or shapes.is_literal(tp)


def _delegated_hook(tp: Any) -> shapes.Hook:
    # The very hooks the converter registers for these types.
    return shapes.auto_union_hook(tp) if shapes.is_auto_union(tp) else shapes.literal_hook(tp)


def _make_fast_hook(tp: Any) -> _FastHook:
    # Same precedence as the converter's registrations (last registered wins there).
    if shapes.is_job_error(tp):
        return _fast_job_error()
    if shapes.is_tagged_union(tp):
        return _fast_tagged_union(tp)
    if shapes.is_status(tp):
        return _fast_open_enum(shapes.open_enum_values(tp) or {})
    if _delegated(tp):
        slow = _delegated_hook(tp)
        return lambda value: slow(value, tp)
    if shapes.is_optional(tp):
        inner_type = next(a for a in get_args(tp) if a is not shapes.NONE_TYPE)
        inner = fast_hook(inner_type)
        return lambda value: None if value is None else inner(value)
    if shapes.is_mapping(tp):
        return _fast_mapping(get_args(tp)[1])
    if shapes.is_var_tuple(tp):
        return _fast_var_tuple(get_args(tp)[0])
    if shapes.is_model(tp):
        return _fast_model(tp)
    scalar = shapes.SCALAR_HOOKS.get(tp)
    if scalar is not None:
        return lambda value: scalar(value, tp)
    if tp is Any:
        return _any
    raise TypeError(f"no fast structuring for {tp!r}")


def _fast_open_enum(values: dict[str, Any]) -> _FastHook:
    def fast_open_enum(value: Any) -> Any:
        if value.__class__ is str:
            return values.get(value, value)
        raise Fallback

    return fast_open_enum


def _fast_job_error() -> _FastHook:
    error = fast_hook(JobError)

    def fast_job_error(value: Any) -> Any:
        if value is None:
            return None
        if value.__class__ is dict:
            for item in value.values():
                if item is not None:
                    return error(value)
            return None
        raise Fallback

    return fast_job_error


def _fast_tagged_union(tp: Any) -> _FastHook:
    hooks = {tag: fast_hook(model) for tag, model in (shapes.tagged_models(tp) or {}).items()}
    nullable = shapes.NONE_TYPE in shapes.union_args(tp)

    def fast_tagged(value: Any) -> Any:
        if value.__class__ is dict:
            tag = value.get("type")
            hook = hooks.get(tag) if tag.__class__ is str else None
            return dict(value) if hook is None else hook(value)
        if value is None and nullable:
            return None
        raise Fallback

    return fast_tagged


def _fast_mapping(value_type: Any) -> _FastHook:
    if value_type is Any:

        def fast_any_mapping(value: Any) -> Any:
            if value.__class__ is dict:
                return value  # the caller's JSON object, handed over (no copy)
            raise Fallback

        return fast_any_mapping
    if value_type is str:

        def fast_str_mapping(value: Any) -> Any:
            if value.__class__ is dict:
                for item in value.values():
                    if item.__class__ is not str:
                        raise Fallback
                return value  # the caller's JSON object, handed over (no copy)
            raise Fallback

        return fast_str_mapping
    item_hook = fast_hook(value_type)

    def fast_mapping(value: Any) -> Any:
        if value.__class__ is dict:
            return {key: item_hook(item) for key, item in value.items()}
        raise Fallback

    return fast_mapping


def _fast_var_tuple(item_type: Any) -> _FastHook:
    if item_type is str:

        def fast_str_tuple(value: Any) -> Any:
            if value.__class__ is list:
                for item in value:
                    if item.__class__ is not str:
                        raise Fallback
                return tuple(value)
            if value is None:
                return ()
            raise Fallback

        return fast_str_tuple
    item_hook = fast_hook(item_type)

    def fast_tuple(value: Any) -> Any:
        if value.__class__ is list:
            return tuple([item_hook(item) for item in value])
        if value is None:
            return ()
        raise Fallback

    return fast_tuple


# Inline checks of JSON scalars held in variable {t}, as strict as the validating hooks.
_SCALAR_CHECKS: dict[Any, list[str]] = {
    str: ["if {t}.__class__ is not str: raise _F"],
    int: ["if {t}.__class__ is not int: raise _F"],
    bool: ["if {t} is not True and {t} is not False: raise _F"],
    float: [
        "if {t}.__class__ is not float:",
        "    if {t}.__class__ is int: {t} = float({t})",
        "    else: raise _F",
    ],
}


def _field_types(tp: Any) -> list[tuple[attrs.Attribute[Any], Any]]:
    cls = get_origin(tp) or tp
    hints = get_type_hints(cls)
    # Type variables a generic base leaves to its subclass (CheckpointMetrics is
    # _Metrics[float | None]), then those of ``tp`` itself (Page[FileObject]).
    bound: dict[Any, Any] = {}
    for klass in reversed(cls.__mro__):
        for base in klass.__dict__.get("__orig_bases__", ()):
            params = getattr(get_origin(base), "__parameters__", ())
            bound.update(zip(params, get_args(base), strict=False))
    bound.update(zip(getattr(cls, "__parameters__", ()), get_args(tp), strict=False))

    def bind(t: Any) -> Any:
        if isinstance(t, TypeVar):
            if t not in bound:
                raise TypeError(f"unbound type variable {t!r}")
            return bound[t]
        params = getattr(t, "__parameters__", ())
        return t[tuple(bind(p) for p in params)] if params else t

    return [(a, bind(hints[a.name])) for a in attrs.fields(cls)]


def _auto_checks(tp: Any) -> list[str]:
    """Inline checks of ``int | Auto [| None]`` and ``float | Auto [| None]`` fields."""
    args = set(get_args(tp))
    other = "not ({t}.__class__ is str and {t} == 'auto')"
    if shapes.NONE_TYPE in args:
        other += " and {t} is not None"
    if float in args:
        return [
            "if {t}.__class__ is not float:",
            "    if {t}.__class__ is int: {t} = float({t})",
            f"    elif {other}: raise _F",
        ]
    return [f"if {{t}}.__class__ is not int and {other}: raise _F"]


def _plain_optional(tp: Any) -> Any:
    """The ``X`` of an ``X | None`` checked inline as "None, or an X" (None for other types).

    Not a nullable auto union nor ``JobError | None``: those have checks of their own.
    """
    if shapes.is_optional(tp) and not shapes.is_auto_union(tp) and not shapes.is_job_error(tp):
        return next(a for a in get_args(tp) if a is not shapes.NONE_TYPE)
    return None


def _none_is_none(tp: Any) -> bool:
    """Whether a null for this type structures to None (so that a None default can skip it)."""
    return shapes.is_optional(tp) or (shapes.is_auto_union(tp) and shapes.NONE_TYPE in get_args(tp))


def _field_body(
    tp: Any, target: str, key: str, names: dict[str, Any], hook_of: Callable[[Any], Any]
) -> list[str]:
    """Statements that check (and convert, in place) the JSON value held in ``target``;
    nested types through ``hook_of`` (`fast_hook`, or `check_hook` when only checking)."""
    if tp in _SCALAR_CHECKS:
        return [line.format(t=target) for line in _SCALAR_CHECKS[tp]]
    if shapes.is_auto_union(tp):
        return [line.format(t=target) for line in _auto_checks(tp)]
    inner = _plain_optional(tp)
    if inner is not None:
        body = _field_body(inner, target, key, names, hook_of)
        return [f"if {target} is not None:", *("    " + b for b in body)]
    if shapes.is_status(tp):
        names[f"e{key}"] = shapes.open_enum_values(tp)
        return [
            f"if {target}.__class__ is not str: raise _F",
            f"{target} = e{key}.get({target}, {target})",
        ]
    if shapes.is_literal(tp) and all(a.__class__ is str for a in get_args(tp)):
        names[f"l{key}"] = frozenset(get_args(tp))
        return [f"if {target}.__class__ is not str or {target} not in l{key}: raise _F"]
    if _delegated(tp):
        names[f"s{key}"] = _delegated_hook(tp)
        names[f"t{key}"] = tp
        return [f"{target} = s{key}({target}, t{key})"]
    names[f"h{key}"] = hook_of(tp)
    return [f"{target} = h{key}({target})"]


def _plain_slots(cls: type) -> bool:
    """Whether instances can be built by setting their slots (attrs' __init__ does no more)."""
    fields = attrs.fields(cls)
    return (
        "__slots__" in cls.__dict__
        and all(a.validator is None and a.converter is None and a.init for a in fields)
        and not any(
            hasattr(cls, name)
            for name in ("__attrs_pre_init__", "__attrs_post_init__", "__attrs_init_subclass__")
        )
        and all(_slot_descriptor(cls, a.name) is not None for a in fields)
    )


def builder_of(cls: type) -> type | None:
    """A plain class with the very slot layout of the slotted class ``cls`` (same bases, same
    slots): an instance of it whose slots are all set can be given ``cls`` as its class
    (``obj.__class__ = cls``) and is then an ordinary ``cls`` instance. ``None`` when the
    layouts cannot be shared (Python refuses the class assignment)."""
    namespace: dict[str, Any] = {"__slots__": cls.__dict__.get("__slots__", ())}
    namespace["__module__"] = __name__
    if getattr(cls, "__setattr__") is not object.__setattr__:  # noqa: B009 (typed as Any)
        namespace["__setattr__"] = object.__setattr__  # a frozen base's guard does not apply
    bases = cls.__dict__.get("__orig_bases__", cls.__bases__)
    try:
        builder = types.new_class(
            f"{cls.__name__}Builder", bases, exec_body=lambda ns: ns.update(namespace)
        )
        probe: Any = object.__new__(builder)
        probe.__class__ = cls
    except TypeError:
        return None
    return builder


def _fast_model(tp: Any, *, check: bool = False) -> _FastHook:
    """The generated function of model ``tp``; with ``check``, one that only checks."""
    cls = get_origin(tp) or tp
    hook_of = check_hook if check else fast_hook
    plain = _plain_slots(cls)
    builder = builder_of(cls) if plain and not check else None
    lazy: dict[str, Any] = {}  # field -> its type, built on first read
    names: dict[str, Any] = {"__cl": cls, "__new": object.__new__, "_F": Fallback, "_M": _MISSING}
    lines: list[str] = []
    values: dict[str, str] = {}  # attribute -> expression of its value
    known: list[str] = []
    # How many known keys were missing (m): the object then holds len(known) - m known keys,
    # so it has an unknown key exactly when it holds more keys than that, and no set
    # comparison is needed (an optional field a server leaves out costs one addition).
    track = not check and any(a.name == shapes.EXTRA for a in attrs.fields(cls))
    missing = "; m += 1" if track else ""
    if track:
        lines.append("m = 0")
    # Fields marked rare (`RARE`: a provider's own, such as a job's provider_status) are
    # looked up only when the object holds more keys than the common ones found: an object
    # without them (every OpenAI job) pays a store of None each, not a lookup.
    rare: list[str] = []
    common = 0
    for i, (a, ftype) in enumerate(_field_types(tp)):
        default: Any = a.default
        if a.name == shapes.REQUEST_ID and default is None:
            values[a.name] = "rid"  # the second argument (None for a nested model)
            continue
        if a.name in (shapes.EXTRA, shapes.REQUEST_ID):
            if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
                raise TypeError("factory defaults of extra/request_id are not generated")
            names[f"d{i}"] = default
            values[a.name] = f"d{i}"
            continue
        known.append(a.name)
        target = values[a.name] = f"f{i}"
        if default is None and _none_is_none(ftype):
            # Missing and null both give None: one lookup, one test (which a plain optional's
            # own body would repeat, so its inner type's body is used).
            inner = _plain_optional(ftype)
            if builder is not None and _lazy_model(cls, a.name, ftype) is not None:
                # Checked now, kept as JSON, built on first read (LazyField).
                names[f"c{i}"] = check_hook(inner)
                lazy[a.name] = ftype
                body = [f"c{i}({target})"]
            else:
                body = _field_body(
                    ftype if inner is None else inner, target, f"{i}", names, hook_of
                )
            if track and a.metadata.get(RARE):
                lines.insert(0, f"{target} = None")
                rare += [f"{target} = o.get({a.name!r}, _M)", f"if {target} is _M:"]
                rare += [f"    {target} = None", "else:", "    n += 1"]
                rare += [f"    if {target} is not None:", *("        " + b for b in body)]
                continue
            common += 1
            if track:
                lines += [f"{target} = o.get({a.name!r}, _M)", f"if {target} is _M:"]
                lines += [f"    {target} = None{missing}", f"elif {target} is not None:"]
            else:
                lines += [f"{target} = o.get({a.name!r})", f"if {target} is not None:"]
            lines += ["    " + b for b in body]
            continue
        common += 1
        body = _field_body(ftype, target, f"{i}", names, hook_of)
        if default is attrs.NOTHING:
            lines += [f"{target} = o[{a.name!r}]", *body]
        else:
            lines += [f"{target} = o.get({a.name!r}, _M)"]
            if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
                if default.takes_self:
                    raise TypeError("takes_self factories are not generated")
                names[f"d{i}"] = default.factory
                lines.append(f"if {target} is _M: {target} = d{i}(){missing}")
            else:
                names[f"d{i}"] = default
                lines.append(f"if {target} is _M: {target} = d{i}{missing}")
            lines += ["else:", *("    " + b for b in body)]
    if check:
        lines.append("return None")
    elif shapes.EXTRA in values:
        names["_known"] = frozenset(known)
        extra = "ex = {k: x for k, x in o.items() if k not in _known}"
        lines += [f"ex = {values[shapes.EXTRA]}", f"if len(o) != {common} - m:"]
        if rare:
            # n: the rare keys found; any key beyond those and the common ones is unknown.
            lines += ["    n = 0", *("    " + r for r in rare)]
            lines += [f"    if len(o) != {common} - m + n:", f"        {extra}"]
        else:
            lines += [f"    {extra}"]
        values[shapes.EXTRA] = "ex"
    if check:
        pass
    elif builder is not None:
        # Frozen slotted classes: attrs' __init__ sets each slot through object.__setattr__
        # (~700 instructions a field); the builder's slots take plain stores, then the
        # instance becomes a ``cls``.
        names["__b"] = builder
        lines.append("r = __new(__b)")
        lines += [f"r.{name} = {expr}" for name, expr in values.items()]
        lines += ["r.__class__ = __cl", "return r"]
    elif plain:
        # The slot descriptors' own setters do what attrs' __init__ does, a third faster.
        lines.append("r = __new(__cl)")
        for j, (name, expr) in enumerate(values.items()):
            names[f"set{j}"] = cls.__dict__[name].__set__
            lines.append(f"set{j}(r, {expr})")
        lines.append("return r")
    else:
        args = [
            f"{a.alias}={values[a.name]}" if a.kw_only else values[a.name]
            for a in attrs.fields(cls)
            if a.name in values
        ]
        lines.append(f"return __cl({', '.join(args)})")
    for name, ftype in lazy.items():
        slot = _slot_descriptor(cls, name)
        if not isinstance(slot, LazyField):
            setattr(cls, name, LazyField(slot, fast_hook(ftype)))
    fn_name = f"{'check' if check else 'fast'}_structure_{cls.__name__}"
    source = f"def {fn_name}(o, rid=None):\n    if o.__class__ is not dict: raise _F\n"
    source += "".join(f"    {line}\n" for line in lines)
    exec(compile(source, f"<ftjobs fast structure {cls.__name__}>", "exec"), names)
    fast: _FastHook = names[fn_name]
    return fast
