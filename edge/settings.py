"""Declarative settings schemas: dataclasses whose fields carry a doc, a rule and an example.

One mechanism serves the lane config (`edge/config.py`) and the board profiles
(`edge/io/board.py`): `load(cls, data)` checks a parsed TOML table against a schema and
reports *every* problem as (dotted.key, rule); `render(cls)` prints a complete, commented
TOML example from the same schema, so the example can never drift from what is accepted.

Subsystems declare their own section next to the code that uses it (e.g.
`edge/uplink/yunnan/settings.py`) with `setting(...)` fields.
"""
from __future__ import annotations

import dataclasses
import re
import types
import typing
from typing import Any, Literal, get_args, get_origin

from edge.errors import ValidationError

_MISSING = dataclasses.MISSING


def setting(default: Any = _MISSING, *, doc: str, example: Any = None, pattern: str | None = None,
            rule: str | None = None, min: float | None = None, max: float | None = None,
            secret: bool = False, check: typing.Callable[[Any], str | None] | None = None):
    """A schema field. `pattern`/`rule` (regex + human wording), `min`/`max` for numbers,
    `check(value) -> error text or None` for anything else. Lists/dicts get default_factory."""
    meta = dict(doc=doc, example=example, pattern=pattern, rule=rule, min=min, max=max,
                secret=secret, check=check)
    if isinstance(default, (list, dict)):
        value = default
        return dataclasses.field(default_factory=lambda: type(value)(value), metadata=meta)
    if dataclasses.is_dataclass(default) and isinstance(default, type):
        return dataclasses.field(default_factory=default, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def section(cls):
    """Decorator: a frozen-by-convention settings section (plain dataclass, kw-only)."""
    return dataclasses.dataclass(kw_only=True)(cls)


# ---------------------------------------------------------------- loading

def load(cls, data: dict, what: str = "config", prefix: str = ""):
    """Build `cls` from `data`; raise ValidationError listing every (key, rule) problem."""
    problems: list[tuple[str, str]] = []
    obj = _load_section(cls, data, prefix, problems)
    if problems:
        raise ValidationError(problems, what)
    return obj


def _load_section(cls, data, prefix, problems):
    if not isinstance(data, dict):
        problems.append((prefix.rstrip(".") or "(top)", "must be a table"))
        return None
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in data:
        if key not in fields:
            problems.append((prefix + key, "unknown key (allowed: %s)" % ", ".join(fields)))
    kwargs = {}
    for name, f in fields.items():
        key = prefix + name
        if name not in data:
            if f.default is _MISSING and f.default_factory is _MISSING:
                problems.append((key, "required"))
            continue
        value = _coerce(hints[name], data[name], key, problems)
        if value is _BAD:
            continue
        err = _check_rules(f, value)
        if err:
            problems.append((key, err))
            continue
        kwargs[name] = value
    if any(p[0].startswith(prefix) for p in problems) and prefix == "" and not kwargs:
        return None
    try:
        obj = cls(**kwargs)
    except TypeError:
        return None  # required fields missing: already reported
    post = getattr(obj, "validate", None)
    if post is not None:
        for k, rule in post() or ():
            problems.append((prefix + k, rule))
    return obj


_BAD = object()


def _is_section(tp) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def _coerce(tp, value, key, problems):
    origin = get_origin(tp)
    args = get_args(tp)
    if origin in (typing.Union, types.UnionType):
        non_none = [a for a in args if a is not type(None)]
        if value is None:
            return None
        return _coerce(non_none[0], value, key, problems)
    if _is_section(tp):
        sub: list = []
        obj = _load_section(tp, value, key + ".", sub)
        problems.extend(sub)
        return obj if not sub else _BAD
    if origin is Literal:
        if value not in args:
            problems.append((key, "must be one of %s" % ", ".join(repr(a) for a in args)))
            return _BAD
        return value
    if origin is list:
        if not isinstance(value, list):
            problems.append((key, "must be a list"))
            return _BAD
        (item_tp,) = args
        out, ok = [], True
        for i, item in enumerate(value):
            v = _coerce(item_tp, item, "%s[%d]" % (key, i), problems)
            ok = ok and v is not _BAD
            out.append(v)
        return out if ok else _BAD
    if origin is dict:
        if not isinstance(value, dict):
            problems.append((key, "must be a table"))
            return _BAD
        _, val_tp = args
        out, ok = {}, True
        for k, item in value.items():
            v = _coerce(val_tp, item, "%s.%s" % (key, k), problems)
            ok = ok and v is not _BAD
            out[k] = v
        return out if ok else _BAD
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp is Any:
        return value
    if tp in (str, int, float, bool):
        if not isinstance(value, tp) or (tp is int and isinstance(value, bool)):
            problems.append((key, "must be %s, got %s" % (_type_word(tp), _type_word(type(value)))))
            return _BAD
        return value
    raise TypeError("unsupported settings type %r at %s" % (tp, key))


def _type_word(tp) -> str:
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false",
            list: "a list", dict: "a table"}.get(tp, getattr(tp, "__name__", str(tp)))


def _check_rules(f: dataclasses.Field, value) -> str | None:
    m = f.metadata
    if value is None:
        return None
    if m.get("pattern") and isinstance(value, str) and not re.fullmatch(m["pattern"], value):
        return m.get("rule") or "must match %s" % m["pattern"]
    if m.get("min") is not None and isinstance(value, (int, float)) and value < m["min"]:
        return "must be ≥ %s" % m["min"]
    if m.get("max") is not None and isinstance(value, (int, float)) and value > m["max"]:
        return "must be ≤ %s" % m["max"]
    if m.get("check"):
        return m["check"](value)
    return None


# ---------------------------------------------------------------- rendering

def render(cls, header: str = "") -> str:
    """A complete commented TOML document for `cls` (top-level fields must be sections)."""
    out: list[str] = []
    if header:
        out += ["# " + line if line else "#" for line in header.splitlines()] + [""]
    _render_section(cls, [], out, array=False)
    return "\n".join(out).rstrip() + "\n"


def _render_section(cls, path, out, array, doc=""):
    hints = typing.get_type_hints(cls)
    fields = dataclasses.fields(cls)
    scalars = [f for f in fields if not _is_subsection(hints[f.name])]
    subs = [f for f in fields if _is_subsection(hints[f.name])]
    if path:
        if doc:
            out.append("# " + doc)
        name = ".".join(path)
        out.append(("[[%s]]" if array else "[%s]") % name)
    for f in scalars:
        for line in f.metadata.get("doc", "").splitlines():
            out.append("# " + line)
        rule = f.metadata.get("rule")
        if rule:
            out.append("# rule: " + rule)
        required = f.default is _MISSING and f.default_factory is _MISSING
        value = _example_value(f, hints[f.name])
        line = "%s = %s" % (f.name, _toml_value(value))
        if required:
            line += "    # required"
        elif value is None:
            line = "# %s =    # optional" % f.name
        out.append(line)
    if path:
        out.append("")
    for f in subs:
        tp = hints[f.name]
        sub_cls, is_array = _subsection_class(tp)
        _render_section(sub_cls, path + [f.name], out, is_array, f.metadata.get("doc", ""))


def _is_subsection(tp) -> bool:
    return _subsection_class(tp)[0] is not None


def _subsection_class(tp):
    origin, args = get_origin(tp), get_args(tp)
    if origin in (typing.Union, types.UnionType):
        non_none = [a for a in args if a is not type(None)]
        return _subsection_class(non_none[0])
    if _is_section(tp):
        return tp, False
    if origin is list and args and _is_section(args[0]):
        return args[0], True
    return None, False


def _example_value(f: dataclasses.Field, tp):
    if f.metadata.get("example") is not None:
        return f.metadata["example"]
    if f.default is not _MISSING:
        return f.default
    if f.default_factory is not _MISSING:
        return f.default_factory()
    return ""


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return '"%s"' % v.replace("\\", "\\\\").replace('"', '\\"')
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join("%s = %s" % (k, _toml_value(x)) for k, x in v.items()) + " }"
    if v is None:
        return '""'
    raise TypeError(v)


def redacted(obj) -> Any:
    """A plain dict of a settings object with secret fields masked, and credentials inside
    every URL-like text (`rtsp://admin:pw@…`, `?password=…`) masked too (for printing)."""
    if dataclasses.is_dataclass(obj):
        out = {}
        for f in dataclasses.fields(obj):
            v = getattr(obj, f.name)
            out[f.name] = "***" if (f.metadata.get("secret") and v) else redacted(v)
        return out
    if isinstance(obj, list):
        return [redacted(x) for x in obj]
    if isinstance(obj, dict):
        return {k: redacted(v) for k, v in obj.items()}
    if isinstance(obj, str):
        from edge.logsetup import mask_urls
        return mask_urls(obj)
    return obj
