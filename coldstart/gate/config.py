"""The gate's configuration: `[tool.coldstart]` in pyproject.toml, overridden by flags.

Every key is validated here, so that a wrong value stops the gate with exit status 2 and a
message naming the key, before anything is measured. Flags win over per-target keys, which
win over top-level keys, which win over the defaults.
"""

from __future__ import annotations

import difflib
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from coldstart.errors import UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10 has no tomllib; tomli is the same parser.
    import tomli as tomllib

PYPROJECT = "pyproject.toml"


@dataclass(frozen=True)
class Limits:
    """Tolerances against the reference and absolute budgets, for one target.

    A budget of None is not checked. Times are milliseconds, memory MiB, growth percent.
    """

    max_regression: float = 10.0
    max_new_modules: int = 0
    max_alloc_growth: float = 10.0
    max_init_ms: float | None = None
    max_cold_start_ms: float | None = None
    max_peak_rss_mib: float | None = None
    max_init_alloc_mib: float | None = None
    max_imported_modules: int | None = None


@dataclass(frozen=True)
class TargetConfig:
    """One target to gate, with paths relative to `base_dir`."""

    name: str
    target: str
    base_dir: Path
    handler: str | None = None
    root: str | None = None
    event: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)


@dataclass
class GateConfig:
    """Everything the gate and `baseline save` need, after validation."""

    targets: list[TargetConfig]
    runs: int = 10
    warm_invokes: int = 3
    memory: int = 128
    timeout: float = 3.0
    init_timeout: float = 10.0
    python: str | None = None
    # One -X importtime run and one tracemalloc run per target and side, after the timing
    # runs. They give new modules their import time and measure init allocations.
    attribution: bool = True
    baseline: Path | None = None
    against: str | None = None
    # The pyproject.toml the configuration came from, if any.
    source: Path | None = None


# Validators take the key as shown to the user and the raw value; they return the value.
Validator = Callable[[str, Any], Any]


def is_number(value: Any) -> bool:
    """True for a finite int or float: nan and inf would silently disable a check."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def positive_int(key: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise invalid(key, value, "expected a whole number of 1 or more")
    return value


def non_negative_int(key: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise invalid(key, value, "expected a whole number of 0 or more")
    return value


def non_negative_number(key: str, value: Any) -> float:
    if not is_number(value) or value < 0:
        raise invalid(key, value, "expected a finite number of 0 or more")
    return float(value)


def positive_number(key: str, value: Any) -> float:
    if not is_number(value) or value <= 0:
        raise invalid(key, value, "expected a finite number greater than 0")
    return float(value)


def boolean(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise invalid(key, value, "expected true or false")
    return value


def text(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise invalid(key, value, "expected a non-empty string")
    return value


def env_table(key: str, value: Any) -> dict[str, str]:
    """Accept a table of names to scalars; numbers and booleans become strings."""
    if not isinstance(value, dict):
        raise invalid(key, value, 'expected a table such as { TABLE_NAME = "orders" }')
    env = {}
    for name, item in value.items():
        if isinstance(item, bool):
            env[name] = "true" if item else "false"
        elif isinstance(item, (str, int, float)):
            env[name] = str(item)
        else:
            raise invalid(f"{key}.{name}", item, "expected a string, number or boolean")
    return env


LIMIT_KEYS: dict[str, Validator] = {
    "max_regression": non_negative_number,
    "max_new_modules": non_negative_int,
    "max_alloc_growth": non_negative_number,
    "max_init_ms": positive_number,
    "max_cold_start_ms": positive_number,
    "max_peak_rss_mib": positive_number,
    "max_init_alloc_mib": positive_number,
    "max_imported_modules": positive_int,
}
RUN_KEYS: dict[str, Validator] = {
    "runs": positive_int,
    "warm_invokes": non_negative_int,
    "memory": positive_int,
    "timeout": positive_number,
    "init_timeout": positive_number,
    "python": text,
    "attribution": boolean,
    "baseline": text,
    "against": text,
}
TARGET_KEYS: dict[str, Validator] = {
    "name": text,
    "target": text,
    "handler": text,
    "root": text,
    "event": text,
    "env": env_table,
}
TOP_LEVEL_KEYS = {**RUN_KEYS, **LIMIT_KEYS, "targets": lambda key, value: value}


def toml_spelling(value: Any) -> str:
    """Show a value as TOML writes it: true, nan, inf, "text", [1, 2]."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_spelling(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key} = {toml_spelling(item)}"
                                for key, item in value.items()) + " }"
    return repr(value)


def invalid(key: str, value: Any, problem: str) -> UsageError:
    return UsageError(f"invalid configuration: {key} = {toml_spelling(value)}: {problem}")


def check_known_keys(table: dict[str, Any], known: dict[str, Any], where: str) -> None:
    for key in table:
        if key not in known:
            close = difflib.get_close_matches(key, list(known), n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(known)}"
            raise UsageError(f"invalid configuration: unknown key {where}{key}; {hint}")


def validate_table(
    table: dict[str, Any], validators: dict[str, Validator], where: str
) -> dict[str, Any]:
    """Validate the keys of one table that have a validator; `where` prefixes messages."""
    return {
        key: validators[key](f"{where}{key}", value)
        for key, value in table.items()
        if key in validators
    }


def read_pyproject(path: Path) -> dict[str, Any] | None:
    """Return the `[tool.coldstart]` table of a pyproject.toml, or None when it has none."""
    try:
        with path.open("rb") as file:
            document = tomllib.load(file)
    except FileNotFoundError:
        return None
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"invalid configuration: {path} is not valid TOML: {error}") from error
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror}") from error
    tool = document.get("tool", {})
    section = tool.get("coldstart") if isinstance(tool, dict) else None
    if section is None:
        return None
    if not isinstance(section, dict):
        raise UsageError("invalid configuration: tool.coldstart must be a table")
    return section


def parse_targets(
    raw: Any, base_dir: Path, defaults: Limits, flag_limits: dict[str, Any]
) -> list[TargetConfig]:
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise UsageError(
            "invalid configuration: tool.coldstart.targets must be an array of tables "
            "([[tool.coldstart.targets]] sections)"
        )
    targets = []
    for number, item in enumerate(raw, start=1):
        where = f"[[tool.coldstart.targets]] #{number} "
        check_known_keys(item, {**TARGET_KEYS, **LIMIT_KEYS}, where)
        if "target" not in item:
            raise UsageError(
                f"invalid configuration: {where}has no 'target' key; "
                'add target = "app.py" or a handler string such as "src/app.handler"'
            )
        values = validate_table(item, TARGET_KEYS, where)
        own_limits = validate_table(item, LIMIT_KEYS, where)
        limits = replace(defaults, **{**own_limits, **flag_limits})
        targets.append(TargetConfig(
            name=values.get("name", values["target"]),
            target=values["target"],
            base_dir=base_dir,
            handler=values.get("handler"),
            root=values.get("root"),
            event=values.get("event"),
            env=values.get("env", {}),
            limits=limits,
        ))
    check_unique_names(targets)
    return targets


def check_unique_names(targets: list[TargetConfig]) -> None:
    seen: set[str] = set()
    for target in targets:
        if target.name in seen:
            raise UsageError(
                f"invalid configuration: two targets are named {target.name!r}; "
                "give each a different name"
            )
        seen.add(target.name)


def validate_flags(flags: dict[str, Any]) -> dict[str, Any]:
    """Validate the flags that were given (None means not given) with the key validators."""
    validators = {**RUN_KEYS, **LIMIT_KEYS}
    given = {key: value for key, value in flags.items() if value is not None}
    return {
        key: validators[key]("--" + key.replace("_", "-"), value)
        for key, value in given.items()
    }


def load_config(
    flags: dict[str, Any],
    cli_targets: list[TargetConfig] | None = None,
    config_path: Path | None = None,
) -> GateConfig:
    """Build the configuration from pyproject.toml (when present) and the flags.

    `flags` maps configuration keys to flag values, None for a flag not given. Targets
    given on the command line replace the configured targets.
    """
    path = config_path or Path.cwd() / PYPROJECT
    section = read_pyproject(path)
    if config_path is not None and not config_path.is_file():
        raise UsageError(f"configuration file not found: {config_path}; give the path of "
                         "a pyproject.toml with a [tool.coldstart] table")
    if config_path is not None and section is None:
        raise UsageError(f"no [tool.coldstart] table in {config_path}")
    section = section or {}
    where = "tool.coldstart."
    check_known_keys(section, TOP_LEVEL_KEYS, where)
    values = validate_table(section, RUN_KEYS, where)
    top_limits = validate_table(section, LIMIT_KEYS, where)
    given = validate_flags(flags)
    flag_limits = {key: value for key, value in given.items() if key in LIMIT_KEYS}
    values.update({key: value for key, value in given.items() if key in RUN_KEYS})
    defaults = replace(Limits(), **top_limits)
    base_dir = path.parent.resolve()

    if cli_targets:
        limits = replace(defaults, **flag_limits)
        targets = [replace(target, limits=limits) for target in cli_targets]
    elif "targets" in section:
        targets = parse_targets(section["targets"], base_dir, defaults, flag_limits)
    else:
        targets = []
    choose_reference(values, given, section)
    baseline = values.get("baseline")
    if "python" in values and "python" not in given:
        values["python"] = resolve_interpreter(values["python"], base_dir)
    return GateConfig(
        targets=targets,
        source=path if section else None,
        baseline=resolve_path(baseline, base_dir if "baseline" not in given else Path.cwd()),
        **{key: value for key, value in values.items() if key != "baseline"},
    )


def choose_reference(values: dict[str, Any], given: dict[str, Any], section: dict) -> None:
    """Keep one of baseline and against: a flag wins over a key; two of a kind conflict."""
    if "baseline" in given and "against" in given:
        raise UsageError("--baseline and --against exclude each other: give one")
    if "against" in given:
        values.pop("baseline", None)
    elif "baseline" in given:
        values.pop("against", None)
    elif "baseline" in section and "against" in section:
        raise UsageError(
            "invalid configuration: tool.coldstart sets both baseline and against; "
            "keep one (a flag can still override it)"
        )


def resolve_interpreter(python: str, base_dir: Path) -> str:
    """Resolve a relative interpreter path such as .venv/bin/python against base_dir.

    A bare name such as python3.12 is left for the PATH lookup.
    """
    path = Path(python)
    if path.is_absolute() or len(path.parts) == 1:
        return python
    return str(base_dir / path)


def resolve_path(value: str | None, base_dir: Path) -> Path | None:
    if value is None:
        return None
    path = Path(value)
    return path if path.is_absolute() else base_dir / path
