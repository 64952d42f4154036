"""What the browser tests share: where Chromium and axe-core are, and the marks that
make them skip without a browser (or fail, with DIGEST_REQUIRE_BROWSER=1, as in CI)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parent / "fixtures" / "axe" / "axe.min.js"

BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists() and os.environ.get("DIGEST_REQUIRE_BROWSER") != "1",
        reason="headless Chromium (/usr/bin/chromium) not installed",
    ),
]
