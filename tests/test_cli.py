"""The command line and make: clear one-line errors, no partial files, sentences treated as data."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from blockmath import BlockConfig, build_config
from blockmath.lessons import BY_NAME as SCENES
from blockmath.paths import Target, clip_path, config_env, config_id, parse_resolution, slug

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args, input=None, env=None, cwd=None):
    base = {k: v for k, v in os.environ.items() if not k.startswith("BLOCKMATH_")}
    return subprocess.run([sys.executable, "-m", "blockmath", *args], capture_output=True, input=input,
                          env={**base, **(env or {})}, cwd=cwd or ROOT, timeout=120)


@pytest.mark.parametrize(
    "args, message",
    [
        (["render", "--sentence", ""], "no words"),
        (["render", "--sentence", "  \t\n "], "no words"),
        (["render", "--sentence", "?!..."], "no words"),
        (["render", "--sentence", " ".join(["word"] * 17)], "maximum is 16"),
        (["render", "--sentence", "I 👍" + "\ufe0f" * 30], "longer than"),  # a symbol is never split
        (["render", "--sentence", " ".join(["abcdefghijklmnopqrstuvwxyz"] * 9)], "the sentence has 18 tokens"),
        (["render", "--sentence", "\u202e\u2066\u200b \u200f"], "no words"),
        (["render", "bogus"], "unknown scene 'bogus'"),
        (["render", "-q", "z"], "quality must be one of"),
        (["render", "--seed", "twelve"], "seed must be an integer"),
        (["render", "--seed", "-3"], "seed must be an integer in"),
        (["render", "--token", "zebra"], "not in the sentence"),
        (["render", "--token", "99"], "out of range"),
        (["render", "--lambdas", "0 inf"], "lambdas"),
        (["render", "--resolution", "100x"], "resolution must look like"),
        (["render", "--resolution", "101x100"], "even numbers"),
        (["render", "--sentence-file", "/nonexistent/file.txt"], "cannot read sentence file"),
        (["render", "--d-model", "64"], "the videos show d_model from 4 to 32, got 64"),
        (["render", "--d-model", "2", "--n-heads", "1"], "the videos show d_model from 4 to 32, got 2"),
        (["movie", "--d-model", "48"], "the videos show d_model from 4 to 32"),
        (["render", "--d-model", "8", "--d-ff", "2"], "the videos show d_ff from 4 to 512"),
        (["render", "--d-model", "12", "--n-heads", "5"], "must be positive and divide d_model"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_input_gives_one_clear_line(args, message, tmp_path):
    r = run_cli(*args, "--media-dir", str(tmp_path / "media")) if args[0] == "render" else run_cli(*args)
    err = r.stderr.decode()
    assert r.returncode == 2
    assert message in err
    assert err.count("\n") == 1 and err.startswith("blockmath: error: ")
    assert "Traceback" not in err
    assert not (tmp_path / "media" / "clips").exists()


@pytest.mark.parametrize("data, message", [(b"caf\xe9 au lait", "not valid UTF-8"), (b"a\x00b", "NUL")])
def test_bad_sentence_file(tmp_path, data, message):
    f = tmp_path / "s.txt"
    f.write_bytes(data)
    r = run_cli("trace", "--sentence-file", str(f))
    assert r.returncode == 2 and message in r.stderr.decode()


def test_sentence_file_and_stdin(tmp_path):
    f = tmp_path / "s.txt"
    f.write_text("Dogs bark loudly.\n", encoding="utf-8")
    import json
    assert json.loads(run_cli("trace", "--sentence-file", str(f)).stdout)["tokens"] == ["Dogs", "bark", "loudly", "."]
    r = run_cli("trace", "--sentence-file", "-", input="Birds sing.".encode())
    assert json.loads(r.stdout)["tokens"] == ["Birds", "sing", "."]


def test_the_core_computes_wider_vectors_than_the_videos_show():
    import json

    t = json.loads(run_cli("trace", "--d-model", "64", "--sentence", "Wide vectors.").stdout)
    assert len(t["x"][0]) == 64  # `trace` takes the core's range; only the videos stop at 32
    assert BlockConfig(d_model=16).d_ff == 64 and BlockConfig(d_model=16, d_ff=40).d_ff == 40  # d_ff: 4 × d_model


def test_config_env_round_trip():
    cfg = BlockConfig(sentence="Tabs\tand \"quotes\" $(x) `y` ; | it", seed=42, token="2", lambdas=(0.0, 0.5, -1.0))
    assert build_config({}, environ=config_env(cfg)) == cfg


def test_limits_never_come_from_the_environment():
    env = {"BLOCKMATH_MAX_TOKENS": "1000", "BLOCKMATH_DEPTH": "3"}
    cfg = build_config({}, environ=env)
    assert cfg.max_tokens == 16 and cfg.depth == 48  # the documented limits, whatever the environment says
    user = {"BLOCKMATH_D_MODEL": "12", "BLOCKMATH_D_FF": "24", "BLOCKMATH_N_HEADS": "3", "BLOCKMATH_NORM": "post",
            "BLOCKMATH_LAMBDAS": "0 3", "BLOCKMATH_SEED": "4", "BLOCKMATH_TOKEN": "1", "BLOCKMATH_SENTENCE": "a b"}
    cfg = build_config({}, environ={**env, **user})  # while every user setting still does
    assert (cfg.d_model, cfg.d_ff, cfg.n_heads, cfg.norm, cfg.lambdas) == (12, 24, 3, "post", (0.0, 3.0))
    assert (cfg.seed, cfg.token, cfg.sentence, cfg.max_tokens, cfg.depth) == (4, "1", "a b", 16, 48)
    with pytest.raises(ValueError, match="not user settings: max_tokens"):
        build_config({"max_tokens": "1000"}, environ={})


def test_the_token_limit_holds_whatever_the_environment_says():
    long = " ".join(f"w{i}" for i in range(40))
    r = run_cli("trace", "--sentence", long, env={"BLOCKMATH_MAX_TOKENS": "1000", "BLOCKMATH_DEPTH": "1"})
    assert r.returncode == 2
    assert r.stderr.decode() == "blockmath: error: the sentence has 40 tokens; the maximum is 16\n"


def test_paths_are_safe_and_distinct(tmp_path):
    a = BlockConfig(sentence="../../etc/passwd it")
    b = BlockConfig(sentence="/etc/passwd it")
    c = BlockConfig(sentence="東京 it")
    for cfg in (a, b, c):
        p = clip_path(cfg, SCENES["residual"], Target("l", None, tmp_path))
        assert p.resolve().is_relative_to(tmp_path.resolve())
        assert ".." not in p.relative_to(tmp_path).parts
    assert slug(a.sentence) == "etc-passwd-it" and slug(c.sentence) == "it" and slug("東京") == "sentence"
    assert len({config_id(a), config_id(b), config_id(c), config_id(BlockConfig(sentence="/etc/passwd it", seed=1))}) == 4
    assert len(config_id(BlockConfig(sentence=" ".join(["abcdefghij"] * 16)))) <= 51


def test_parse_resolution():
    assert parse_resolution("320x180") == (320, 180) and parse_resolution("320,180") == (320, 180)
    assert parse_resolution("") is None


@pytest.mark.skipif(shutil.which("make") is None, reason="make not installed")
def test_make_passes_hostile_sentences_as_data(tmp_path):
    stamp = Path(sys.prefix) / ".installed"
    if not stamp.exists():
        pytest.skip("not running inside the make-built venv")
    # make runs in an empty folder whose pyproject.toml and system-deps.sh are newer than the venv's stamp: plain
    # `make trace` would start setup there (apt, pip). `-o <stamp>` tells make never to remake the stamp, and the
    # stand-in setup script would say so if it ever ran.
    (tmp_path / "scripts").mkdir()
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "scripts" / "system-deps.sh").write_text("touch setup_ran; exit 1\n")
    make = ["make", "-s", "-f", str(ROOT / "Makefile"), "-o", str(stamp), "trace", f"VENV={sys.prefix}"]
    hostile = "$(shell touch bm_pwned) `touch bm_pwned` it"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BLOCKMATH_")}
    r = subprocess.run([*make, f"SENTENCE={hostile}", "TOKEN=$(touch bm_pwned)"], cwd=tmp_path, capture_output=True,
                       env=env, timeout=60)
    assert r.returncode != 0 and b"not in the sentence" in r.stderr  # the TOKEN arrived literally
    r = subprocess.run([*make, f"SENTENCE={hostile}"], cwd=tmp_path, capture_output=True, env=env, timeout=60)
    import json
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["tokens"][:3] == ["$", "(", "shell"]
    assert not (tmp_path / "bm_pwned").exists() and not (tmp_path / "setup_ran").exists()
    # the block's settings are make variables too
    r = subprocess.run([*make, "SENTENCE=Make sets the block.", "D_MODEL=4", "N_HEADS=1", "NORM=post"], cwd=tmp_path,
                       capture_output=True, env=env, timeout=60)
    assert r.returncode == 0 and not r.stderr, r.stderr
    t = json.loads(r.stdout)
    assert len(t["x"][0]) == 4 and len(t["attn_weights"]) == 1  # d_model 4, one head
    assert t["ln1"] == t["x"]  # post-norm: attention reads x itself, not LN₁(x)


def test_a_clip_depends_on_the_files_its_render_imported(tmp_path, monkeypatch):
    from blockmath import paths, publish

    scenes = tmp_path / "scenes"
    shutil.copytree(ROOT / "scenes", scenes, ignore=shutil.ignore_patterns("media", "__pycache__"))
    monkeypatch.setattr(paths, "scenes_dir", lambda: scenes)
    monkeypatch.setattr(publish, "scenes_dir", lambda: scenes)
    monkeypatch.setattr(publish, "manim_cfg", lambda: scenes / "manim.cfg")
    used = ["scenes:residual.py", "scenes:kit/text.py", "blockmath:core.py"]
    before = publish.sources_digest(used)
    (scenes / "ffn.py").write_text((scenes / "ffn.py").read_text() + "\n# another scene changed\n")
    assert publish.sources_digest(used) == before
    (scenes / "residual.py").write_text((scenes / "residual.py").read_text() + "\n# this scene changed\n")
    after_scene = publish.sources_digest(used)
    assert after_scene != before
    (scenes / "kit" / "text.py").write_text((scenes / "kit" / "text.py").read_text() + "\n# the kit changed\n")
    assert publish.sources_digest(used) != after_scene
    assert publish.sources_digest(used + ["scenes:kit/gone.py"]) != publish.sources_digest(used)  # a file went away
    spec = SCENES["residual"]
    cfg = BlockConfig()
    after_kit = publish.sources_digest(used)
    (scenes / "manim.cfg").write_text((scenes / "manim.cfg").read_text() + "\n# manim's config changed\n")
    assert publish.sources_digest(used) != after_kit
    digest = publish.inputs_digest(cfg, spec, "480p15", before)
    assert digest != publish.inputs_digest(BlockConfig(seed=1), spec, "480p15", before)
    assert digest != publish.inputs_digest(cfg, spec, "720p30", before)
    assert digest != publish.inputs_digest(cfg, spec, "480p15-narrated", before)
    assert digest == publish.inputs_digest(BlockConfig(), spec, "480p15", before)


def test_the_manim_wrapper_records_what_a_render_imports(tmp_path):
    """blockmath.manim_run lists exactly the project files a scene imported: its own file and the kit it uses."""
    out = tmp_path / "imports.json"
    code = ("import sys, runpy; sys.path.insert(0, {scenes!r}); import residual, blockmath.manim_run as m; "
            "from blockmath.publish import source_roots; import json; "
            "open(sys.argv[1], 'w').write(json.dumps(m.imported_sources(source_roots())))")
    subprocess.run([sys.executable, "-c", code.format(scenes=str(ROOT / "scenes")), str(out)], check=True,
                   capture_output=True, cwd=tmp_path)
    files = json.loads(out.read_text())
    assert "scenes:residual.py" in files and "scenes:kit/base.py" in files and "blockmath:core.py" in files
    assert "scenes:ffn.py" not in files  # another scene, and the tools that do not draw, are not sources
    assert not {"blockmath:cli.py", "blockmath:bench.py", "blockmath:gallery.py", "blockmath:slides.py"} & set(files)


def test_srt_to_vtt():
    from blockmath.media import srt_to_vtt

    srt = "1\r\n00:00:01,500 --> 00:00:04,250\r\nλ = 0: h′ = h\r\n\r\n2\r\n00:01:02,000 --> 00:01:03,005\r\nnext, 1,000 times\r\n"
    assert srt_to_vtt(srt) == ("WEBVTT\n\n1\n00:00:01.500 --> 00:00:04.250\nλ = 0: h′ = h\n\n"
                               "2\n00:01:02.000 --> 00:01:03.005\nnext, 1,000 times\n")
