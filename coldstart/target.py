"""Resolve a TARGET (file, file:function or Lambda handler string) to a module and attribute.

A handler string is resolved as the Lambda Python runtime resolves `_HANDLER`: `/`
becomes `.`, the last `.` splits the module from the attribute, and the module is
imported from the task root with `importlib.import_module`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from coldstart.errors import UsageError

DEFAULT_HANDLER_NAMES = ("handler", "lambda_handler")


@dataclass(frozen=True)
class Target:
    """A handler ready to import: the task root, the module and the attribute."""

    root: Path
    module: str
    attribute: str
    label: str

    @property
    def handler_string(self) -> str:
        return f"{self.module}.{self.attribute}"


def split_handler_string(handler: str) -> tuple[str, str]:
    """Split a Lambda handler string into module and attribute, as the runtime does.

    A string with no `.` returns an empty module, which the worker reports as
    Runtime.MalformedHandlerName, as Lambda does.
    """
    dotted = handler.replace("/", ".")
    if "." not in dotted:
        return "", dotted
    module, attribute = dotted.rsplit(".", 1)
    return module, attribute


def top_level_callables(source: str) -> list[str]:
    """Return the names a module defines at top level that could be a handler."""
    tree = ast.parse(source)
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names.extend(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
    return names


def choose_handler_name(path: Path, requested: str | None) -> str:
    """Pick the handler in a file: the one requested, else `handler`, else `lambda_handler`."""
    if requested:
        return requested
    try:
        names = top_level_callables(path.read_text(encoding="utf-8", errors="replace"))
    except SyntaxError:
        # The worker imports the module and reports Runtime.UserCodeSyntaxError.
        return DEFAULT_HANDLER_NAMES[0]
    for name in DEFAULT_HANDLER_NAMES:
        if name in names:
            return name
    listed = ", ".join(n for n in names if not n.startswith("_")) or "none"
    raise UsageError(
        f"no handler found in {path}: it defines neither 'handler' nor 'lambda_handler' "
        f"(top-level names: {listed}); name one with --handler NAME or {path}:NAME"
    )


def module_name_for(path: Path, root: Path) -> str | None:
    """Return the dotted module name of a file under root, or None if it is outside."""
    try:
        relative = path.resolve().relative_to(root.resolve())
    except ValueError:
        return None
    parts = list(relative.with_suffix("").parts)
    if not parts or not all(part.isidentifier() for part in parts):
        return None
    return ".".join(parts)


def resolve_target(text: str, handler: str | None = None, root: str | None = None) -> Target:
    """Resolve a TARGET string given on the command line.

    Raises UsageError when the file or the task root does not exist.
    """
    if not text:
        raise UsageError("empty TARGET: give a file such as app.py or a handler string")
    if Path(text).is_dir():
        raise UsageError(f"TARGET {text} is a folder: give a .py file or a handler string")
    file_part, _, function = text.partition(":") if ":" in text else (text, "", "")
    if handler and function:
        raise UsageError(f"TARGET {text!r} already names a function: drop --handler {handler}")
    if file_part.endswith(".py"):
        return resolve_file_target(Path(file_part), function or handler, root)
    if function:
        raise UsageError(f"invalid TARGET {text!r}: use FILE.py:FUNCTION or module.function")
    check_handler_string(text)
    return resolve_handler_string(text, root)


def check_handler_string(text: str) -> None:
    """Reject handler strings Lambda could never resolve from a task root.

    Malformed names that Lambda itself reports (no `.`, an empty part) are left to the
    worker, which names them Runtime.MalformedHandlerName as Lambda does.
    """
    if text.startswith("/") or ".." in text.split("/") or text.startswith("../"):
        raise UsageError(
            f"invalid handler string {text!r}: it is relative to the task root; give the "
            "folder with --root and the path below it, e.g. --root src orders/app.handler"
        )
    if ".py." in text:
        fixed = text.replace(".py.", ".py:", 1)
        raise UsageError(f"invalid TARGET {text!r}: for a file and a function write {fixed}")


def resolve_file_target(path: Path, function: str | None, root: str | None) -> Target:
    if path.is_dir():
        raise UsageError(f"TARGET {path} is a folder: give a .py file or a handler string")
    if not path.is_file():
        raise UsageError(f"handler file not found: {path} (check the path to the .py file)")
    attribute = choose_handler_name(path, function)
    label = f"{path}:{attribute}"
    if root is not None:
        root_path = existing_root(root)
        module = module_name_for(path, root_path)
        if module is None:
            raise UsageError(
                f"{path} is not inside --root {root} as an importable module: move it "
                "under the task root, or drop --root to use the file's folder"
            )
        return Target(root_path.resolve(), module, attribute, label)
    if not path.stem.isidentifier():
        raise UsageError(
            f"invalid module file name {path.name!r}: Python cannot import it by name; "
            "rename it to a valid identifier such as app.py"
        )
    return Target(path.parent.resolve(), path.stem, attribute, label)


def resolve_handler_string(text: str, root: str | None) -> Target:
    root_path = existing_root(root or ".")
    module, attribute = split_handler_string(text)
    return Target(root_path.resolve(), module, attribute, text)


def existing_root(root: str) -> Path:
    path = Path(root)
    if not path.is_dir():
        raise UsageError(f"task root not found: {root} (give an existing folder with --root)")
    return path
