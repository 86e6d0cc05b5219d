"""Vendoring reveal.js: only a tarball with the pinned hash is accepted, and only its dist/ files are kept."""

import base64
import io
import subprocess
import sys
import tarfile

import pytest

from blockmath import revealjs
from blockmath.publish import RenderError

ABC_SHA512 = "sha512-3a81oZNherrMQXNJriBBMRLm+k6JqX6iCp7u5ktV05ohkpkqJ0/BqDa6PCOj/uu9RU1EI2Q86A4qmslPpUyknw=="  # openssl


def _tarball(members: dict) -> bytes:
    """A gzipped tar with the given {name: bytes | ('link', target)} members, as npm packs them."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            if isinstance(data, tuple):
                info.type, info.linkname = tarfile.SYMTYPE, data[1]
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _sri(path):  # the tarball's hash as npm writes it, made by openssl
    out = subprocess.run(["openssl", "dgst", "-sha512", "-binary", str(path)], capture_output=True, check=True).stdout
    return "sha512-" + base64.b64encode(out).decode()


def test_integrity_is_checked():
    revealjs.check_integrity(b"abc", ABC_SHA512)
    with pytest.raises(RenderError, match="does not match its pinned sha512 hash"):
        revealjs.check_integrity(b"abd", ABC_SHA512)
    with pytest.raises(RenderError, match="unsupported"):
        revealjs.check_integrity(b"abc", "md5-kAFQmDzST7DWlj99KOF/cg==")
    assert revealjs.INTEGRITY.startswith("sha512-") and revealjs.TARBALL.startswith("https://registry.npmjs.org/")


def test_a_tampered_tarball_is_refused_and_nothing_is_kept(tmp_path):
    bad = tmp_path / "reveal.tgz"
    bad.write_bytes(_tarball({"package/dist/reveal.js": b"evil()"}))
    home = tmp_path / "home"
    with pytest.raises(RenderError, match="does not match"):
        revealjs.install(home, bad)
    assert not home.exists() and list(tmp_path.iterdir()) == [bad]
    with pytest.raises(RenderError, match="not installed"):
        revealjs.require(home)


def test_install_keeps_dist_and_licence_only_and_copies_what_the_page_names(tmp_path, monkeypatch):
    tgz = tmp_path / "reveal.tgz"
    tgz.write_bytes(_tarball({
        "package/dist/reveal.js": b"Reveal", "package/dist/reveal.css": b".reveal{}",
        "package/dist/plugin/notes.js": b"notes", "package/LICENSE": b"MIT", "package/demo.html": b"demo",
        "package/dist/link.js": ("link", "/etc/passwd"), "package/../escape.js": b"no", "other/dist/x.js": b"no",
    }))
    monkeypatch.setattr(revealjs, "INTEGRITY", _sri(tgz))
    home = tmp_path / "share" / "reveal.js"
    assert revealjs.install(home, tgz) == home
    kept = sorted(str(p.relative_to(home)) for p in home.rglob("*") if p.is_file())
    assert kept == [".integrity", "LICENSE", "dist/plugin/notes.js", "dist/reveal.css", "dist/reveal.js"]
    assert not (tmp_path / "escape.js").exists() and not (tmp_path / "share" / "escape.js").exists()
    assert revealjs.install(home, tmp_path / "gone.tgz") == home  # a verified copy is not fetched again

    page = ('<link rel="stylesheet" href="assets/rv/dist/reveal.css"><script src="assets/rv/dist/reveal.js"></script>'
            '<script src="assets/rv/dist/plugin/notes.js"></script><video src="assets/clip.mp4">')
    dest = tmp_path / "deck" / "assets" / "rv"
    assert revealjs.copy_used(page, "assets/rv/", dest, home) == ["dist/plugin/notes.js", "dist/reveal.css",
                                                                  "dist/reveal.js"]
    assert (dest / "dist" / "reveal.js").read_bytes() == b"Reveal" and (dest / "LICENSE").read_bytes() == b"MIT"
    with pytest.raises(RenderError, match="does not have"):
        revealjs.copy_used('<script src="assets/rv/dist/plugin/math.js">', "assets/rv/", dest, home)
    (home.parent / "secret.txt").write_text("outside the vendored copy")
    with pytest.raises(RenderError, match="does not have"):
        revealjs.copy_used('<script src="assets/rv/../secret.txt">', "assets/rv/", dest, home)


def test_the_command_gives_one_line_on_a_bad_tarball(tmp_path):
    bad = tmp_path / "x.tgz"
    bad.write_bytes(b"not a tarball")
    code = ("import sys; from pathlib import Path; from blockmath import revealjs; "
            "revealjs.HOME = Path(sys.argv[1]); sys.exit(revealjs.main(sys.argv[2:]))")
    r = subprocess.run([sys.executable, "-c", code, str(tmp_path / "home"), str(bad)], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.startswith("blockmath: error: ") and r.stderr.count("\n") == 1
    assert "does not match" in r.stderr
