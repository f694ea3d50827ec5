# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for ollama_remote.proxy.access_rules: renders on the controller, writes through the standard modules."""

from __future__ import annotations

import typing as t

from ansible.errors import AnsibleActionFail

from ansible_collections.ollama_remote.proxy.plugins.module_utils import _access_rules as core
from ansible_collections.ollama_remote.proxy.plugins.plugin_utils._file_action import FileActionBase, Planned, attributes_of
from ansible_collections.ollama_remote.proxy.plugins.plugin_utils._target_files import Change, TargetFiles

ARGUMENT_SPEC: dict[str, t.Any] = {
    "path": {"type": "str", "required": True, "aliases": ["dest"]},
    "rules": {"type": "list", "elements": "raw", "default": []},
    "default": {"type": "str", "default": "deny", "choices": ["allow", "deny"]},
    "format": {"type": "str", "default": "directives", "choices": ["directives", "geo"]},
    "geo_variable": {"type": "str", "default": "ollama_access_denied"},
    "check_path": {"type": "str"},
    "marker": {"type": "str"},
    "trusted_proxies": {"type": "list", "elements": "str", "default": []},
    "validate": {"type": "str"},
}
MUTUALLY_EXCLUSIVE: list[list[str]] = [["marker", "check_path"]]


def _diff(path: str, old: bytes | None, new: bytes | None) -> dict[str, str]:
    return {"before_header": path, "after_header": path, "before": (old or b"").decode("utf-8", "replace"), "after": (new or b"").decode("utf-8")}


def plan(args: dict[str, t.Any], target: TargetFiles, *, diff: bool) -> Planned:
    """The allowlist for `args` (checked against ARGUMENT_SPEC and MUTUALLY_EXCLUSIVE): a file of its own (directives or
    geo, with the geo check), or a marked block."""
    try:
        rules, warnings = core.parse_rules(args["rules"])
        proxies = core.parse_trusted_proxies(args["trusted_proxies"])
        variable = core.valid_variable(args["geo_variable"])
        if args["format"] == "geo" and args["marker"]:
            raise core.AccessRulesError("format geo needs the http context and a separate server-level check, so it cannot go into a marked block")
        if args["format"] == "geo":
            lines = core.render_geo(rules, args["default"], variable, proxies)
        else:
            lines = core.render_directives(rules, args["default"], proxies)
        if args["marker"]:
            changes = [_marked(target, args["path"], lines, args["marker"])]
        else:
            wanted = {args["path"]: core.as_text(lines, target.newline).encode("utf-8")}
            if args["format"] == "geo" and args["check_path"]:
                wanted[args["check_path"]] = core.as_text(core.render_geo_check(variable), target.newline).encode("utf-8")
            changes = target.changes(wanted)
    except core.AccessRulesError as exc:
        raise AnsibleActionFail(str(exc)) from None
    result: dict[str, t.Any] = {"path": args["path"], "rules": [f"{r.action} {r.source}" for r in rules]}
    if warnings:
        result["warnings"] = warnings
    if args["format"] == "geo":
        result["check"] = "\n".join(core.render_geo_check(variable))
    if diff and any(c.differs for c in changes):
        result["diff"] = [_diff(c.path, c.old, c.new) for c in changes if c.differs]
    return Planned(changes, attributes_of(args), result)


def _marked(target: TargetFiles, path: str, lines: list[str], marker: str) -> Change:
    """The rules in their marked block of an existing file, which has to be read to keep the rest."""
    old = target.read(path)
    if old is None:
        raise core.AccessRulesError(f"{path} does not exist; with marker, the rules go into an existing file")
    return Change(path, old, core.replace_block(old.decode("utf-8"), lines, marker, target.newline).encode("utf-8"))


class ActionModule(FileActionBase):
    ARGUMENT_SPEC = ARGUMENT_SPEC
    MUTUALLY_EXCLUSIVE = MUTUALLY_EXCLUSIVE

    def plan(self, args: dict[str, t.Any], target: TargetFiles) -> Planned:
        return plan(args, target, diff=self._task.diff)
