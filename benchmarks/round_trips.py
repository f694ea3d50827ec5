"""Module runs of an idempotent run on a converged Windows host, counted task by task from the roles.

Each module run is a round trip to the host, about a second over WinRM. No machine here runs Windows, so this is a
count, not a measurement: WINDOWS names every task of the Windows path that reaches the host, with the module runs it
costs once the host is converged, or why it costs none. tests/unit/test_round_trips.py checks that it names every such
task in the roles and no other, so a new task cannot be left out. Linux hosts are measured instead:
benchmarks/rollout.py counts the module runs of a real run (benchmarks/callbacks/module_count.py).

The host counted: inventory.example's Windows host with gateway_tls_mode: acme (simple-acme), every other variable at
its default, one user logged on.
Usage: .venv/bin/python benchmarks/round_trips.py
"""

from __future__ import annotations

from typing import NamedTuple


class Task(NamedTuple):
    path: str
    name: str
    runs: int
    why: str = ""


ONE_LOOK = "one look (win_find) at all of its files"
OPT_IN = "ollama_windows_service is off by default"
FETCHED = "only for a program not unpacked yet"
WINDOWS_TARGET = 20
WINDOWS: list[Task] = [
    Task("playbooks/site.yml", "Gathering Facts", 1),
    # ollama
    Task("roles/ollama/tasks/windows.yml", "Ollama's environment (machine level; Ollama reads it when it starts)", 1),
    Task("roles/ollama/tasks/windows.yml", "Find the users whose settings are loaded", 1),
    Task("roles/ollama/tasks/windows.yml", "Read their own OLLAMA_HOST", 1, "one per logged-on user"),
    Task("roles/ollama/tasks/windows.yml", "Block the Ollama port from the network", 1),
    Task("roles/ollama/tasks/windows.yml", "Find where the Ollama port listens", 1),
    Task("roles/ollama/tasks/windows_service.yml", "Find the installed Ollama", 0, OPT_IN),
    Task("roles/ollama/tasks/windows_service.yml", "A folder for the service wrapper", 0, OPT_IN),
    Task("roles/ollama/tasks/windows_service.yml", "Download Shawl", 0, OPT_IN),
    Task(
        "roles/ollama/tasks/windows_service.yml",
        "Copy Shawl from the controller (hosts without internet access)",
        0,
        "ollama_windows_service is off by default",
    ),
    Task("roles/ollama/tasks/windows_service.yml", "Unpack Shawl", 0, OPT_IN),
    Task("roles/ollama/tasks/windows_service.yml", "Stop the tray app from starting at the user's logon", 0, OPT_IN),
    Task("roles/ollama/tasks/windows_service.yml", "Run ollama serve as a service", 0, OPT_IN),
    # gateway
    Task("roles/gateway/tasks/windows.yml", "Find what listens on the host", 0, "the ollama role's look, this run"),
    Task(
        "roles/gateway/tasks/windows.yml",
        "Gateway directories, and the programs and certificate already there",
        1,
        "one look (win_find) at the folders, nginx.exe, shawl.exe and the certificate",
    ),
    Task("roles/acme/tasks/windows_private_folder.yml", "SYSTEM and Administrators have full control, the listed accounts may read", 2, "one per account"),
    # The acme role locks its PEM folder only outside the gateway's prefix, or for key readers: here it is inside.
    Task("roles/acme/tasks/windows_private_folder.yml", "Nobody else (drop the permissions inherited from above)", 1),
    Task("roles/gateway/tasks/windows.yml", "Download nginx and Shawl", 0, FETCHED),
    Task(
        "roles/gateway/tasks/windows.yml", "Copy nginx and Shawl from the controller (hosts without internet access)", 0, "only for a program not unpacked yet"
    ),
    Task(
        "roles/gateway/tasks/windows.yml",
        "Unpack nginx and Shawl (a new version goes next to the old one; the prefix stays)",
        0,
        "only for a program not unpacked yet",
    ),
    Task("roles/gateway/tasks/windows.yml", "Open the HTTP and HTTPS ports (port 80 must stay open to everyone for ACME http-01)", 1),
    Task("roles/gateway/tasks/tls.yml", "Self-signed certificate", 0, "gateway_tls_mode self_signed"),
    Task("roles/gateway/tasks/tls.yml", "Install the provided key and certificate", 0, "gateway_tls_mode provided"),
    Task("roles/acme/tasks/bootstrap.yml", "Stand-in certificate until the first one is issued", 0, "the directories' look found a certificate"),
    Task(
        "roles/gateway/tasks/main.yml",
        "The nginx configuration, users, API keys and allowlist, checked together by nginx -t before they stay",
        2,
        "one look at every file (the generation file's checksum included), and the users file read: its hashes are salted",
    ),
    Task("roles/gateway/tasks/windows_service.yml", "Run nginx as a Windows service", 1),
    Task("roles/gateway/tasks/main.yml", "Ask nginx which configuration generation it serves", 0, "Linux only"),
    Task("roles/gateway/tasks/main.yml", "Ask nginx on Windows which configuration generation it serves", 1),
    # acme
    Task("roles/acme/tasks/windows.yml", "Read the ACME directory (which profiles the server offers)", 0, "only for a new request that asks for a profile"),
    Task("roles/acme/tasks/windows.yml", "Folders, renewal settings and install script of the ACME client", 1, ONE_LOOK),
    Task("roles/acme/tasks/windows.yml", "Look for the client, the renewal, the request marker and the certificate files", 1),
    Task("roles/acme/tasks/windows.yml", "Download the ACME client", 0, "only when the client is not unpacked"),
    Task("roles/acme/tasks/windows.yml", "Copy the ACME client from the controller (hosts without internet access)", 0, "only when the client is not unpacked"),
    Task("roles/acme/tasks/windows.yml", "Unpack the ACME client (each version in its own folder)", 0, "only when the client is not unpacked"),
    Task("roles/acme/tasks/windows.yml", "Read the current certificate", 1, "for its end date"),
    Task("roles/acme/tasks/windows.yml", "Request the certificate (the client runs the install script, which reloads nginx)", 0, "only for a new request"),
    Task("roles/acme/tasks/windows.yml", "Remember the request", 0, "only for a new request"),
    Task("roles/acme/tasks/windows.yml", "Look for the renewal's scheduled task", 1),
    Task("roles/acme/tasks/windows.yml", "Create the scheduled task again (it is missing, or runs another wacs.exe)", 0, "only when it is missing"),
    Task("roles/acme/tasks/windows.yml", "Look for the scheduled task again", 0, "only after it was made again"),
    Task("roles/acme/tasks/windows.yml", "Install the issued certificate for nginx with the install script", 0, "only when nginx's files differ"),
]
# Module runs on the controller: the health gate's probe (the verify role).
CONTROLLER = 1


def windows_runs() -> int:
    """Module runs on the converged Windows host."""
    return sum(task.runs for task in WINDOWS)


def main() -> None:
    width = max(len(task.name) for task in WINDOWS)
    for task in WINDOWS:
        print(f"{task.runs:2d}  {task.name:{width}}  {task.why}")
    total = windows_runs()
    print(f"{total} module runs on a converged Windows host, {CONTROLLER} on the controller; target {WINDOWS_TARGET} on the host:", end=" ")
    print("met" if total <= WINDOWS_TARGET else "missed")


if __name__ == "__main__":
    main()
