"""Handler-string and file TARGET resolution, as the Lambda Python runtime resolves them."""

from __future__ import annotations

from pathlib import Path

import pytest

from coldstart.errors import UsageError
from coldstart.target import resolve_target, split_handler_string, top_level_callables


@pytest.mark.parametrize(
    ("handler", "module", "attribute"),
    [
        ("app.handler", "app", "handler"),
        ("src/orders/app.lambda_handler", "src.orders.app", "lambda_handler"),
        ("orders.app.lambda_handler", "orders.app", "lambda_handler"),
        ("handler", "", "handler"),
        ("a/b.c/d.fn", "a.b.c.d", "fn"),
    ],
)
def test_split_handler_string(handler: str, module: str, attribute: str) -> None:
    assert split_handler_string(handler) == (module, attribute)


def test_file_target_uses_parent_as_root(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text("def handler(event, context):\n    return 1\n")
    target = resolve_target(str(app))
    assert target.root == tmp_path.resolve()
    assert target.module == "app"
    assert target.attribute == "handler"


def test_file_target_falls_back_to_lambda_handler(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text("def lambda_handler(event, context):\n    return 1\n")
    assert resolve_target(str(app)).attribute == "lambda_handler"


def test_file_target_prefers_handler(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text("def lambda_handler(e, c): pass\ndef handler(e, c): pass\n")
    assert resolve_target(str(app)).attribute == "handler"


def test_file_without_handler_lists_callables(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text("def process(e, c): pass\nclass Worker: pass\n")
    with pytest.raises(UsageError) as raised:
        resolve_target(str(app))
    assert "process" in str(raised.value)
    assert "Worker" in str(raised.value)
    assert "--handler" in str(raised.value)


def test_file_colon_function(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text("def process(e, c): pass\n")
    target = resolve_target(f"{app}:process")
    assert target.attribute == "process"
    assert target.handler_string == "app.process"


def test_file_under_root_becomes_dotted_module(tmp_path: Path) -> None:
    package = tmp_path / "src" / "orders"
    package.mkdir(parents=True)
    app = package / "app.py"
    app.write_text("def handler(e, c): pass\n")
    target = resolve_target(str(app), root=str(tmp_path))
    assert target.module == "src.orders.app"
    assert target.root == tmp_path.resolve()


def test_handler_string_against_root(tmp_path: Path) -> None:
    target = resolve_target("src/orders/app.lambda_handler", root=str(tmp_path))
    assert target.root == tmp_path.resolve()
    assert target.module == "src.orders.app"
    assert target.attribute == "lambda_handler"


def test_missing_file_is_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not found"):
        resolve_target(str(tmp_path / "nope.py"))


def test_missing_root_is_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--root"):
        resolve_target("app.handler", root=str(tmp_path / "absent"))


def test_handler_option_conflicts_with_colon(tmp_path: Path) -> None:
    app = tmp_path / "app.py"
    app.write_text("def a(e, c): pass\n")
    with pytest.raises(UsageError, match="--handler"):
        resolve_target(f"{app}:a", handler="b")


def test_top_level_callables_sees_assignments() -> None:
    names = top_level_callables("handler = Handler()\nx: int = 1\nasync def go(): pass\n")
    assert names == ["handler", "x", "go"]
