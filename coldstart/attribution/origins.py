"""The origin of a module or source file: the standard library, a third-party package
(site-packages), or the task root."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath

STDLIB = "stdlib"
THIRD_PARTY = "third-party"
TASK_ROOT = "task-root"
UNKNOWN = "unknown"

SITE_PACKAGES = re.compile(r"[/\\](?:site|dist)-packages[/\\]")


@dataclass(frozen=True)
class Locations:
    """The folders that decide an origin, as the target interpreter reported them."""

    task_root: str
    stdlib_dir: str | None

    def origin_of_file(self, path: str | None) -> str:
        if not path or path in ("built-in", "frozen") or path.startswith("<frozen"):
            return STDLIB if path else UNKNOWN
        if path.startswith("<"):
            return UNKNOWN
        if SITE_PACKAGES.search(path):
            return THIRD_PARTY
        if is_under(path, self.task_root):
            return TASK_ROOT
        if self.stdlib_dir and is_under(path, self.stdlib_dir):
            return STDLIB
        return UNKNOWN

    def package_of_file(self, path: str) -> tuple[str, str]:
        """Return (package, origin) for a source file: the top-level name it belongs to."""
        origin = self.origin_of_file(path)
        if path.startswith("<frozen "):
            # "<frozen importlib._bootstrap_external>": code objects and module objects
            # that the import machinery builds while loading every module.
            return path[len("<frozen "):-1].split(".")[0], STDLIB
        if origin == THIRD_PARTY:
            relative = SITE_PACKAGES.split(path, maxsplit=1)[1]
        elif origin == TASK_ROOT:
            relative = relative_to(path, self.task_root)
        elif origin == STDLIB and self.stdlib_dir:
            relative = relative_to(path, self.stdlib_dir)
        else:
            return path, origin
        first = PurePath(relative).parts[0] if relative else path
        return module_stem(first), origin


def module_stem(name: str) -> str:
    """Turn the first path part into a package name: "six.py" is "six", "_cffi.cpython-311.so"
    is "_cffi"."""
    return name.split(".", 1)[0] if name.endswith((".py", ".so", ".pyd", ".pyc")) else name


def is_under(path: str, folder: str) -> bool:
    folder = folder.rstrip("/\\")
    return path == folder or path.startswith(folder + "/") or path.startswith(folder + "\\")


def relative_to(path: str, folder: str) -> str:
    return path[len(folder.rstrip("/\\")) + 1:]
