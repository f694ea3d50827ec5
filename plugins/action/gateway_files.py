# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for ollama_remote.proxy.gateway_files: the configuration, users, keys and allowlist of a gateway in one
task, with one look at the target, one validation, one roll-back."""

from __future__ import annotations

import typing as t

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.ollama_remote.proxy.plugins.action import access_rules, api_keys, config_files, htpasswd
from ansible_collections.ollama_remote.proxy.plugins.plugin_utils._file_action import FILE_ATTRIBUTES, FileActionBase, Planned
from ansible_collections.ollama_remote.proxy.plugins.plugin_utils._target_files import TargetFiles

# Each part: the plugin whose options it takes (all but `validate`), and how that plugin plans its file.
PARTS: dict[str, tuple[dict[str, t.Any], list[list[str]], t.Callable[..., Planned]]] = {
    "users": (htpasswd.ARGUMENT_SPEC, [], htpasswd.plan),
    "api_keys": ({k: v for k, v in api_keys.ARGUMENT_SPEC.items() if k != "validate"}, [], api_keys.plan),
    "access": ({k: v for k, v in access_rules.ARGUMENT_SPEC.items() if k != "validate"}, access_rules.MUTUALLY_EXCLUSIVE, access_rules.plan),
}
ARGUMENT_SPEC: dict[str, t.Any] = {
    **{k: v for k, v in config_files.ARGUMENT_SPEC.items() if k != "validate"},
    "files": {**config_files.ARGUMENT_SPEC["files"], "required": False, "default": []},
    **{part: {"type": "dict"} for part in PARTS},
    "validate": {"type": "str"},
}


def part_args(part: str, given: dict[str, t.Any]) -> dict[str, t.Any]:
    """A part's options, checked as its own plugin checks them; the message names the part."""
    spec, exclusive, _plan = PARTS[part]
    checked = ArgumentSpecValidator({**spec, **FILE_ATTRIBUTES}, mutually_exclusive=exclusive or None).validate(given)
    if checked.error_messages:
        raise AnsibleActionFail(f"{part}: {'; '.join(checked.error_messages)}")
    return t.cast(dict[str, t.Any], checked.validated_parameters)


def part_paths(part: str, args: dict[str, t.Any]) -> list[str]:
    return [args["path"]] + ([args["check_path"]] if part == "access" and args.get("check_path") else [])


class ActionModule(FileActionBase):
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def manage(self, args: dict[str, t.Any], target: TargetFiles) -> dict[str, t.Any]:
        config_files.check(args)
        parts = {part: part_args(part, args[part]) for part in PARTS if args[part] is not None}
        paths = config_files.paths_of(args) + [path for part, given in parts.items() for path in part_paths(part, given)]
        if len(set(paths)) != len(paths):
            raise AnsibleActionFail("each path may appear only once across directories, files, absent and the parts")
        target.survey(paths)  # the one look: every plan below reads from it, and reads a file only when it must
        # Every part is planned (and so checked) before anything is written.
        plans = {"config": config_files.plan(args, target, diff=self._task.diff)}
        plans |= {part: PARTS[part][2](given, target, diff=self._task.diff) for part, given in parts.items()}
        changed = target.directories(args["directories"])
        changed |= target.apply_groups([(planned.changes, planned.attributes) for planned in plans.values()], validate=args["validate"])
        result: dict[str, t.Any] = {"changed": changed, "changed_paths": [c.path for planned in plans.values() for c in planned.changes if c.differs]}
        warnings: list[str] = []
        diffs: list[dict[str, str]] = []
        for part, planned in plans.items():
            details = dict(planned.result)
            warnings += details.pop("warnings", [])
            diff = details.pop("diff", [])
            diffs += diff if isinstance(diff, list) else [diff]
            if part != "config":
                result[part] = details
        result["checksums"] = plans["config"].result["checksums"]
        if warnings:
            result["warnings"] = warnings
        if diffs:
            result["diff"] = diffs
        return result
