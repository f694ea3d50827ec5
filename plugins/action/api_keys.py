# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for ollama_remote.proxy.api_keys: renders the bearer-key map on the controller."""

from __future__ import annotations

import datetime
import typing as t

from ansible.errors import AnsibleActionFail

from ansible_collections.ollama_remote.proxy.plugins.module_utils import _api_keys as core
from ansible_collections.ollama_remote.proxy.plugins.plugin_utils._file_action import FileActionBase, Planned, attributes_of
from ansible_collections.ollama_remote.proxy.plugins.plugin_utils._target_files import TargetFiles

ARGUMENT_SPEC: dict[str, t.Any] = {
    "path": {"type": "str", "required": True, "aliases": ["dest"]},
    "keys": {
        "type": "list",
        "elements": "dict",
        "default": [],
        "options": {"name": {"type": "str", "required": True}, "key": {"type": "str", "required": True, "no_log": True}, "expires": {"type": "str"}},
    },
    "min_key_length": {"type": "int", "default": 32},
    "expiry_warning_days": {"type": "int", "default": 14},
    "validate": {"type": "str"},
}


def plan(args: dict[str, t.Any], target: TargetFiles, *, diff: bool) -> Planned:
    """The key map for `args`; expired keys are left out, and the result names what changed, never a key."""
    today = datetime.date.today()
    try:
        keys = core.parse_keys(args["keys"], min_key_length=args["min_key_length"])
        expiries = core.parse_expiry(args["keys"])
    except core.ApiKeysError as exc:
        raise AnsibleActionFail(f"{args['path']}: {exc}") from None
    gone = core.expired(expiries, today)
    soon = core.expiring(expiries, today, args["expiry_warning_days"])
    keys = {name: key for name, key in keys.items() if name not in {entry.name for entry in gone}}
    [change] = target.changes({args["path"]: core.render(keys, target.newline).encode("utf-8")})
    current = core.parse_file(change.old.decode("utf-8", "replace")) if change.old is not None else {}
    names = core.changes(current, keys)
    result: dict[str, t.Any] = {"path": args["path"], **names, "expired": [entry.name for entry in gone]}
    result["expiring"] = [{"name": entry.name, "expires": entry.expires.isoformat(), "days_left": entry.days_left(today)} for entry in soon]
    warnings = [f"key {entry.name!r} expired on {entry.expires.isoformat()} and is no longer accepted; give it a new key and date" for entry in gone]
    warnings += [f"key {entry.name!r} expires on {entry.expires.isoformat()}, in {entry.days_left(today)} days" for entry in soon]
    if warnings:
        result["warnings"] = warnings
    if diff and change.differs:
        result["diff"] = {
            "before_header": f"{args['path']} (key names)",
            "after_header": f"{args['path']} (key names)",
            "before": "".join(f"{name}\n" for name in current),
            "after": "".join(f"{name}{' (new key)' if name in names['updated'] else ''}\n" for name in keys),
        }
    return Planned([change], attributes_of(args), result)


class ActionModule(FileActionBase):
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def plan(self, args: dict[str, t.Any], target: TargetFiles) -> Planned:
        return plan(args, target, diff=self._task.diff)
