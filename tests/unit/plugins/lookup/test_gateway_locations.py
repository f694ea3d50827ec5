# Copyright (c) ollama_remote.proxy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleLookupError

from ansible_collections.ollama_remote.proxy.plugins.lookup.gateway_locations import LookupModule
from ansible_collections.ollama_remote.proxy.plugins.module_utils._ollama_routes import locations


def test_the_lookup_returns_the_locations() -> None:
    assert LookupModule().run([]) == [location.as_dict() for location in locations()]
    with pytest.raises(AnsibleLookupError, match="takes no terms"):
        LookupModule().run(["x"])
