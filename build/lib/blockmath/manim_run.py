"""`python -m blockmath.manim_run ARGS`: manim's command line, which on exit records the project files it imported.

blockmath.render runs every scene this way and keeps the list in the clip's stamp, so the up-to-date check hashes
exactly the modules a scene used (its file, the scene kit, the core), with no hand-kept list to forget.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
from pathlib import Path


def imported_sources(roots: dict[str, Path]) -> list[str]:
    """The imported modules' files under the given roots, as "root:relative/path", sorted."""
    found = set()
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if not path:
            continue
        path = Path(path).resolve()
        for name, root in roots.items():
            if path.is_relative_to(root):
                found.add(f"{name}:{path.relative_to(root).as_posix()}")
    return sorted(found)


def _record() -> None:
    out = os.environ.get("BLOCKMATH_IMPORTS_OUT")
    if out:
        from blockmath.publish import source_roots

        Path(out).write_text(json.dumps(imported_sources(source_roots())))


if __name__ == "__main__":
    atexit.register(_record)
    from manim.__main__ import main

    sys.argv[0] = "manim"
    main()
