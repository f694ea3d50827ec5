# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``python -m tests.support.ollama_double``, or ``python tests/support/ollama_double`` from anywhere: the form
tests/containers/hosts.py uses, whose path on the command line tells its processes apart."""

import sys
from pathlib import Path

if __name__ == "__main__":
    if __package__:
        from .cli import main
    else:  # run as a directory: put the checkout, not this directory, first on sys.path, and import the package
        sys.path[0] = str(Path(__file__).resolve().parents[3])
        from tests.support.ollama_double.cli import main
    sys.exit(main())
