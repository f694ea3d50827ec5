"""Count module executions on the targets: each one is a round trip (SSH, or WinRM on Windows).

Enabled by benchmarks/rollout.py through ANSIBLE_CALLBACK_PLUGINS and ANSIBLE_CALLBACKS_ENABLED. It wraps
ActionBase._execute_module when the callback loads, before the first worker forks, so it counts every module an action
runs (copy's stat, a plugin's slurp), not only one per task. Each worker appends "host<TAB>where it ran<TAB>module<TAB>task" to the file named
by MODULE_COUNT_FILE; appends of one short line do not interleave.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: module_count
type: aggregate
short_description: Count module executions per host
description:
  - Appends one line per module executed on a target to the file named by C(MODULE_COUNT_FILE).
requirements:
  - MODULE_COUNT_FILE set in the environment
"""

import os
from typing import Any

from ansible.plugins.action import ActionBase
from ansible.plugins.callback import CallbackBase

_execute_module = ActionBase._execute_module


def _counting_execute_module(
    self: ActionBase, module_name: str | None = None, module_args: Any = None, tmp: Any = None, task_vars: Any = None, *args: Any, **kwargs: Any
) -> Any:
    host = (task_vars or {}).get("inventory_hostname", "?")
    with open(os.environ["MODULE_COUNT_FILE"], "a", encoding="utf-8") as count:
        count.write(f"{host}\t{self._task.delegate_to or host}\t{module_name or self._task.action}\t{self._task.get_name()}\n")
    return _execute_module(self, module_name, module_args, tmp, task_vars, *args, **kwargs)


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "module_count"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        if os.environ.get("MODULE_COUNT_FILE"):
            ActionBase._execute_module = _counting_execute_module
