# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make `import ansible_collections.ollama_remote.proxy...` work under plain pytest.

The checkout is linked as <repo>/.build/collections/ansible_collections/ollama_remote/proxy (made here when
scripts/bootstrap has not made it), and that collections root goes first on sys.path: `pytest tests/unit` runs in
any virtualenv with requirements-test.txt, as any user. When the checkout already sits in an ansible_collections tree (as
under ansible-test), that tree's root is used instead.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _collections_root() -> Path:
    unresolved = Path(__file__).absolute().parents[2]
    if unresolved.parent.parent.name == "ansible_collections":
        return unresolved.parent.parent.parent
    return REPO / ".build" / "collections"


COLLECTIONS_ROOT = _collections_root()
_LINK = COLLECTIONS_ROOT / "ansible_collections" / "ollama_remote" / "proxy"
if not _LINK.is_dir():  # a plain checkout: make the link scripts/bootstrap would make (inside the checkout only)
    _LINK.parent.mkdir(parents=True, exist_ok=True)
    _LINK.symlink_to(REPO, target_is_directory=True)
if str(COLLECTIONS_ROOT) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS_ROOT))
