"""No Qt class of ours sets an attribute that hides a method of its Qt base: `self.metric = QComboBox()` in a
QDialog hid QPaintDevice.metric(), which Qt calls on the xcb platform only, and the Sweep dialog opened
internal errors in a loop on a real display while every offscreen test passed."""
import ast
import importlib
import inspect
import pkgutil

import netbuilder.ui


def _ui_modules():
    for info in pkgutil.walk_packages(netbuilder.ui.__path__, "netbuilder.ui."):
        yield importlib.import_module(info.name)


def _assigned_names(cls) -> set[str]:
    tree = ast.parse(inspect.getsource(cls))
    names = set()
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, (ast.AnnAssign, ast.AugAssign)) else []
        for target in targets:
            for part in ast.walk(target):
                if isinstance(part, ast.Attribute) and isinstance(part.value, ast.Name) and part.value.id == "self":
                    names.add(part.attr)
    return names


def test_no_attribute_hides_a_qt_method():
    hidden = []
    for module in _ui_modules():
        for cls in vars(module).values():
            if not inspect.isclass(cls) or cls.__module__ != module.__name__:
                continue
            qt_bases = [b for b in cls.__mro__ if b.__module__.startswith(("PySide6", "Shiboken"))]
            if not qt_bases:
                continue
            for name in _assigned_names(cls):
                if any(name in vars(b) for b in qt_bases):
                    hidden.append(f"{cls.__module__}.{cls.__name__}.{name}")
    assert not hidden, f"attributes that hide Qt methods: {sorted(hidden)}"
