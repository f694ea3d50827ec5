# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for ollama_remote.proxy.htpasswd: hashes on the controller, writes through the standard modules."""

from __future__ import annotations

import typing as t

from ansible.errors import AnsibleActionFail

from ansible_collections.ollama_remote.proxy.plugins.module_utils import _htpasswd as core
from ansible_collections.ollama_remote.proxy.plugins.plugin_utils._file_action import FileActionBase, Planned, attributes_of
from ansible_collections.ollama_remote.proxy.plugins.plugin_utils._target_files import Change, TargetFiles

ARGUMENT_SPEC: dict[str, t.Any] = {
    "path": {"type": "str", "required": True, "aliases": ["dest"]},
    "users": {
        "type": "list",
        "elements": "dict",
        "default": [],
        "options": {
            "name": {"type": "str", "required": True},
            "password": {"type": "str", "no_log": True},
            "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
        },
    },
    "exclusive": {"type": "bool", "default": False},
    "update_password": {"type": "str", "default": "always", "choices": ["always", "on_create"]},
    "hash_scheme": {"type": "str", "default": "auto", "choices": ["auto", *core.SCHEMES]},
    "min_password_length": {"type": "int", "default": 12},
    "create": {"type": "bool", "default": True},
}


def plan(args: dict[str, t.Any], target: TargetFiles, *, diff: bool) -> Planned:
    """The users file for `args`, merged into the file on the target (its hashes are kept while they verify)."""
    if not core.HAS_PASSLIB:
        raise AnsibleActionFail("passlib is required on the controller: pip install libpass")
    try:
        scheme = core.choose_scheme(args["hash_scheme"], windows=target.windows)
        users = core.parse_users(
            args["users"],
            min_password_length=args["min_password_length"],
            scheme=scheme,
            password_required=args["update_password"] == "always",
        )
        old = target.read(args["path"])
        if old is None and not args["create"]:
            raise core.HtpasswdError(f"{args['path']} does not exist and create is false")
        entries = core.parse(old.decode("utf-8") if old is not None else "")
        planned = core.plan(entries, users, scheme=scheme, exclusive=args["exclusive"], update_password=args["update_password"], windows=target.windows)
    except UnicodeDecodeError:
        raise AnsibleActionFail(f"{args['path']} is not UTF-8 text") from None
    except core.HtpasswdError as exc:
        raise AnsibleActionFail(f"{args['path']}: {exc}") from None
    new = old if not planned.changed and old is not None else core.render(planned.entries, target.newline).encode("utf-8")
    result = {"path": args["path"], "scheme": scheme.name, "added": planned.added, "updated": planned.updated, "removed": planned.removed}
    if diff and planned.changed:
        result["diff"] = {
            "before_header": f"{args['path']} (users)",
            "after_header": f"{args['path']} (users)",
            "before": core.describe(entries),
            "after": core.describe(planned.entries, planned.updated),
        }
    return Planned([Change(args["path"], old, new)], attributes_of(args), result)


class ActionModule(FileActionBase):
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def plan(self, args: dict[str, t.Any], target: TargetFiles) -> Planned:
        return plan(args, target, diff=self._task.diff)
