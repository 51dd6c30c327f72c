"""Every action a voucher's history can hold has its Chinese words: the history page, the
exports and the trainee's wallet never show an action's code (settlement_first_approved once
reached the bureau's history page as it is)."""

from __future__ import annotations

import ast
from pathlib import Path

import vouchers
from vouchers.common.labels import ACTION_LABELS

# Written by the expiry sweep from a variable (and by its SQL on PostgreSQL).
SWEPT = {"expired", "voided"}


def _written_actions() -> dict[str, str]:
    """The action of every history_row(...) call in the use cases: a string, or a module constant."""
    found: dict[str, str] = {}
    for path in Path(vouchers.__file__).parent.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {
            target.id: node.value.value
            for node in tree.body
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "history_row" and len(node.args) > 1:
                action = node.args[1]
                if isinstance(action, ast.Constant):
                    found[action.value] = str(path)
                elif isinstance(action, ast.Name) and action.id in constants:
                    found[constants[action.id]] = str(path)
    return found


def test_every_history_action_written_has_chinese_words():
    written = _written_actions()
    assert {"claimed", "settlement_first_approved", "settled", "written_off", "revoked"} <= set(written)
    missing = {a: where for a, where in written.items() if a not in ACTION_LABELS}
    assert missing == {}
    assert SWEPT <= set(ACTION_LABELS)
