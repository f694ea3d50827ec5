# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for ollama_remote.proxy.self_signed_certificate: decided and signed on the controller, written through
the standard modules."""

from __future__ import annotations

import datetime
import typing as t

from ansible.errors import AnsibleActionFail

from ansible_collections.ollama_remote.proxy.plugins.module_utils import _self_signed as core
from ansible_collections.ollama_remote.proxy.plugins.plugin_utils._file_action import FileActionBase, attributes_of
from ansible_collections.ollama_remote.proxy.plugins.plugin_utils._target_files import Change, TargetFiles

ARGUMENT_SPEC: dict[str, t.Any] = {
    "certificate_path": {"type": "str", "required": True},
    "key_path": {"type": "str", "required": True},
    "names": {"type": "list", "elements": "str", "required": True},
    "fallback_common_name": {"type": "str", "default": ""},
    "valid_days": {"type": "int", "default": 365},
    "renew_days": {"type": "int", "default": 30},
    "keep_existing": {"type": "bool", "default": False},
    "validate": {"type": "str"},
}


class ActionModule(FileActionBase):
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def manage(self, args: dict[str, t.Any], target: TargetFiles) -> dict[str, t.Any]:
        if not core.HAS_CRYPTOGRAPHY:
            raise AnsibleActionFail("cryptography is required on the controller: pip install cryptography")
        try:
            wanted = core.Wanted(tuple(args["names"]), args["fallback_common_name"], args["valid_days"], args["renew_days"])
        except core.SelfSignedError as exc:
            raise AnsibleActionFail(str(exc)) from None
        certificate_path, key_path = args["certificate_path"], args["key_path"]
        if certificate_path == key_path:
            raise AnsibleActionFail("certificate_path and key_path must differ")
        found = target.survey([certificate_path, key_path])
        certificate: bytes | None
        key: bytes | None
        if args["keep_existing"] and found[certificate_path] is not None:
            reason = None
            certificate = key = b""
        else:
            certificate = target.read(certificate_path) if found[certificate_path] else None
            key = target.read(key_path) if found[key_path] else None
            reason = core.renewal_reason(certificate, key, wanted, datetime.datetime.now(datetime.UTC))
        if reason is None:
            # Both stay as they are (their content is never needed again); only their attributes are checked.
            changes = [Change(certificate_path, b"", b""), Change(key_path, b"", b"")]
        else:
            new_key, new_certificate = core.issue(key, wanted, datetime.datetime.now(datetime.UTC))
            changes = [Change(key_path, key, new_key), Change(certificate_path, certificate, new_certificate)]
        changed = target.apply(changes, attributes=attributes_of(args), validate=args["validate"])
        result: dict[str, t.Any] = {"changed": changed, "certificate_path": certificate_path, "renewed": reason is not None}
        if reason is not None:
            result["reason"] = reason
        return result
