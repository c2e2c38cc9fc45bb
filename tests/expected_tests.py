"""How many tests a rendered test file holds, counted from its source, not by pytest.

Run as a script in the rendered project's environment (it imports each file to
evaluate the values of its parametrize and fixture params decorators):

    python expected_tests.py FILE... prints {"FILE": {"test_name": count, ...}, ...}

A test's count is the product of the lengths of its parametrize values and of the
params of every fixture it uses, directly or through other fixtures of the file.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import math
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODEC_PARTIAL = ROOT / "template" / "_partials" / "tests" / "codec.jinja"


def _name(node: ast.expr) -> str:
    """The dotted name a decorator is called by: pytest.mark.parametrize, say."""
    if isinstance(node, ast.Call):
        return _name(node.func)
    if isinstance(node, ast.Attribute):
        return f"{_name(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else ""


def _argument(call: ast.expr, position: int | None, keyword: str) -> ast.expr | None:
    """A decorator's argument, by position (None: keyword only) or keyword."""
    if not isinstance(call, ast.Call):
        return None
    if position is not None and len(call.args) > position:
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def _parametrized_names(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    names: set[str] = set()
    for decorator in function.decorator_list:
        if _name(decorator) == "pytest.mark.parametrize":
            argnames = ast.literal_eval(_argument(decorator, 0, "argnames") or ast.Constant(""))
            if isinstance(argnames, str):
                argnames = argnames.split(",")
            names |= {name.strip() for name in argnames}
    return names


def _arguments(function: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    return [arg.arg for arg in (*function.args.args, *function.args.kwonlyargs)]


def _functions(tree: ast.Module) -> Iterable[ast.FunctionDef | ast.AsyncFunctionDef]:
    return (node for node in tree.body if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef))


def codec_only_tests(test_file: Path) -> list[str]:
    """Tests of the codec alone in a rendered test file: written in the codec partial,
    using no fixture (nothing of the framework), so the same for every framework."""
    written = set(re.findall(r"def (test_\w+)\(", CODEC_PARTIAL.read_text()))
    tree = ast.parse(test_file.read_text())
    return [
        function.name
        for function in _functions(tree)
        if function.name in written and set(_arguments(function)) <= _parametrized_names(function)
    ]


def counts(test_file: Path, module_name: str) -> dict[str, int]:
    """Each test function of the file, with how many tests pytest must collect for it."""
    spec = importlib.util.spec_from_file_location(module_name, test_file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    namespace = vars(module)

    def length(expression: ast.expr | None) -> int:
        assert expression is not None, f"{test_file}: a decorator without its values"
        return len(
            list(eval(compile(ast.Expression(expression), str(test_file), "eval"), namespace))
        )

    tree = ast.parse(test_file.read_text())
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef)]
    unittest_classes = [
        node for node in classes if any(_name(base).endswith("TestCase") for base in node.bases)
    ]
    assert not any(
        node.name.startswith("Test") for node in classes if node not in unittest_classes
    ), f"{test_file}: pytest test classes are not counted"
    fixtures: dict[str, tuple[int, list[str]]] = {}
    autouse: list[str] = []
    for function in _functions(tree):
        for decorator in function.decorator_list:
            if _name(decorator) == "pytest.fixture":
                params = _argument(decorator, None, "params")
                fixtures[function.name] = (
                    1 if params is None else length(params),
                    [arg for arg in _arguments(function) if arg != "request"],
                )
                flag = _argument(decorator, None, "autouse")
                if flag is not None and ast.literal_eval(flag):
                    autouse.append(function.name)

    def fixture_count(name: str, parametrized: set[str]) -> int:
        if name in parametrized or name not in fixtures:
            return 1
        params, arguments = fixtures[name]
        return params * math.prod(fixture_count(arg, parametrized) for arg in arguments)

    found: dict[str, int] = {
        f"{node.name}.{method.name}": 1  # a unittest method: never parametrized
        for node in unittest_classes
        for method in node.body
        if isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef)
        and method.name.startswith("test")
    }
    for function in _functions(tree):
        if not function.name.startswith("test") or function.name in fixtures:
            continue
        values = math.prod(
            length(_argument(decorator, 1, "argvalues"))
            for decorator in function.decorator_list
            if _name(decorator) == "pytest.mark.parametrize"
        )
        parametrized = _parametrized_names(function)
        used = dict.fromkeys([*autouse, *_arguments(function)])
        found[function.name] = values * math.prod(fixture_count(arg, parametrized) for arg in used)
    return found


def main(files: list[str]) -> Mapping[str, Mapping[str, int]]:
    return {name: counts(Path(name), f"counted_{index}") for index, name in enumerate(files)}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
