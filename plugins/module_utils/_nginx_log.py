# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading nginx's error log. Private to the collection; no Ansible imports, no I/O."""

from __future__ import annotations

import re

# Levels at which nginx refuses or abandons something; [error] is mostly about single requests. The process id after
# the level tells which process said it.
SEVERE = re.compile(r"\[(?:emerg|alert|crit)\] (\d+)#")
MOST = 3


def last_error(log: str, *, lines: int = 2000) -> str:
    """What nginx said last at [emerg], [alert] or [crit], among the log's last `lines` lines: the last such message
    and those before it from the same process (a rejected reload logs `bind() ... failed` several times, then `still
    could not bind()`), each once, at most three. Without such a line, the log's last line."""
    tail = [line.strip() for line in log.splitlines()[-lines:] if line.strip()]
    severe = [(match.group(1), line) for line in tail if (match := SEVERE.search(line))]
    if not severe:
        return (tail or ["(the error log is empty)"])[-1]
    pid = severe[-1][0]
    burst: list[str] = []
    for line_pid, line in reversed(severe):
        if line_pid != pid:
            break
        message = line[SEVERE.search(line).start() :]  # type: ignore[union-attr]  # every line in `severe` matched
        if message not in burst:
            burst.append(message)
    return " | ".join(reversed(burst[:MOST]))
