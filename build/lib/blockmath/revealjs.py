"""reveal.js for the slide deck, vendored from the npm registry: one pinned version, checked against its hash.

`python -m blockmath.revealjs` (run by `make setup`) downloads the package tarball once, checks it against the
registry's integrity hash pinned below, and keeps its `dist/` folder and licence inside the venv. Building a deck
then copies the files the page names next to it, so the deck needs no network to be shown.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import os
import re
import shutil
import sys
import tarfile
import urllib.request
import uuid
from pathlib import Path, PurePosixPath

from .publish import RenderError

VERSION = "6.0.1"  # manim-slides 5.7.0's default reveal_version: the version its reveal.js template is written for
TARBALL = f"https://registry.npmjs.org/reveal.js/-/reveal.js-{VERSION}.tgz"
# The registry's `dist.integrity` for reveal.js 6.0.1 (sha512 of the tarball, base64), as npm's lockfiles pin it.
INTEGRITY = "sha512-9eacArNIgqO2HGWOK+93gJNn+gvdGDVbSq+i2u3Ja9kjiHps0XNLpgYTZTYjKRH91uXy3clGimeGiw4umHG/tg=="
HOME = Path(sys.prefix) / "share" / "blockmath" / f"reveal.js-{VERSION}"  # inside the venv: gone with it
KEEP = ("dist/", "LICENSE")  # what is kept from the package (paths inside its `package/` folder)
MARKER = ".integrity"  # written last: its presence (with INTEGRITY inside) means the copy is complete


def check_integrity(data: bytes, integrity: str | None = None) -> None:
    """Raise RenderError unless data has the Subresource-Integrity hash `integrity` (default INTEGRITY)."""
    algo, _, expected = (integrity or INTEGRITY).partition("-")
    if algo not in ("sha256", "sha384", "sha512"):
        raise RenderError(f"unsupported integrity hash {integrity or INTEGRITY!r}")
    actual = base64.b64encode(hashlib.new(algo, data).digest()).decode()
    if not hmac.compare_digest(actual, expected):
        raise RenderError(f"reveal.js {VERSION} tarball does not match its pinned {algo} hash (got {algo}-{actual})")


def _extract(data: bytes, dest: Path) -> int:
    """Write the KEEP files of an npm tarball (regular files only, no path escapes) under dest; return the count."""
    count = 0
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            path = PurePosixPath(member.name)
            if not member.isfile() or path.parts[:1] != ("package",) or ".." in path.parts:
                continue
            rel = PurePosixPath(*path.parts[1:])
            if not any(str(rel) == k or str(rel).startswith(k) for k in KEEP):
                continue
            target = dest.joinpath(*rel.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(tar.extractfile(member).read())
            count += 1
    return count


def _download(url: str = TARBALL, timeout: float = 120) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.read()
    except OSError as e:
        raise RenderError(f"cannot download reveal.js from {url}: {e}") from None


def is_installed(home: Path | None = None) -> bool:
    """True when home (default HOME) holds a complete, verified copy of reveal.js VERSION."""
    try:
        return ((home or HOME) / MARKER).read_text().strip() == INTEGRITY
    except OSError:
        return False


def install(home: Path | None = None, tarball: Path | None = None) -> Path:
    """Vendor reveal.js into home (default HOME; download it, or read `tarball`) unless a verified copy is there."""
    home = home or HOME
    if is_installed(home):
        return home
    try:
        data = tarball.read_bytes() if tarball else _download()
    except OSError as e:
        raise RenderError(f"cannot read {tarball}: {e.strerror}") from None
    check_integrity(data)
    tmp = home.with_name(f".{home.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        if not _extract(data, tmp) or not (tmp / "dist" / "reveal.js").is_file():
            raise RenderError(f"the reveal.js {VERSION} tarball has no dist/reveal.js")
        (tmp / MARKER).write_text(INTEGRITY + "\n")
        shutil.rmtree(home, ignore_errors=True)  # an incomplete copy from an interrupted run
        os.replace(tmp, home)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return home


def require(home: Path | None = None) -> Path:
    """home (default HOME), if it holds a verified copy; else a RenderError that says how to get one."""
    home = home or HOME
    if not is_installed(home):
        raise RenderError(f"reveal.js {VERSION} is not installed in this venv; run `make setup` "
                          "(or `python -m blockmath.revealjs`)")
    return home


def copy_used(page: str, prefix: str, dest: Path, home: Path | None = None) -> list[str]:
    """Copy every vendored file that page names as `prefix<path>` (src/href) to dest/<path>; return the paths."""
    home = require(home)
    names = sorted(set(re.findall(r'(?:src|href)="' + re.escape(prefix) + r'([^"]+)"', page)))
    if not names:
        raise RenderError("the deck names no reveal.js file; manim-slides' template has changed")
    for name in [*names, "LICENSE"]:
        src = (home / name).resolve()
        if not src.is_file() or home.resolve() not in src.parents:
            raise RenderError(f"the deck needs reveal.js file {name!r}, which reveal.js {VERSION} does not have")
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest / name)
    return names


def main(argv: list[str] | None = None) -> int:
    """`python -m blockmath.revealjs [TARBALL]`: vendor reveal.js (from the registry, or a downloaded tarball)."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        home = install(tarball=Path(argv[0]) if argv else None)
    except (RenderError, OSError, tarfile.TarError) as e:
        print(f"blockmath: error: {e}", file=sys.stderr)
        return 2
    print(home)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
