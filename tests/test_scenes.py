"""Scenes show the trace's numbers (dry runs) and render real clips (tiny, low quality, checked by ffprobe)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
manim = pytest.importorskip("manim")
sys.path.insert(0, str(ROOT / "scenes"))

from blockmath import BlockConfig, compute_trace  # noqa: E402
from common import shown  # noqa: E402

SENTENCES = {
    "default": {},
    "short": {"BLOCKMATH_SENTENCE": "Hi there.", "BLOCKMATH_TOKEN": "hi"},
    "max": {"BLOCKMATH_SENTENCE": "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen"},
}


def dry_run(scene_cls, monkeypatch, env):
    for k in list(__import__("os").environ):
        if k.startswith("BLOCKMATH_"):
            monkeypatch.delenv(k)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with manim.tempconfig({"dry_run": True, "quality": "low_quality", "disable_caching": True}):
        scene = scene_cls()
        scene.render()
    return scene


def expected_trace(env):
    return compute_trace(BlockConfig(sentence=env.get("BLOCKMATH_SENTENCE", BlockConfig.sentence),
                                     token=env.get("BLOCKMATH_TOKEN", "")))


def r2(a, places=2):
    return np.round(np.asarray(a, dtype=float), places)


@pytest.mark.parametrize("name", list(SENTENCES))
def test_residual_scene_shows_the_trace(monkeypatch, name):
    from residual import ResidualScene

    env = SENTENCES[name]
    scene, t = dry_run(ResidualScene, monkeypatch, env), expected_trace(env)
    s = t.sweep
    assert scene.trace.tokens == t.tokens
    assert np.allclose(scene.h_panel.values_shown(), r2(s.h), atol=1e-9)
    assert np.allclose(scene.d_panel.values_shown(), r2(s.delta), atol=1e-9)
    assert set(scene.shown_at) == {0.0, *t.config.lambdas}
    for lam, values in scene.shown_at.items():
        assert np.allclose(values, r2(s.out[s.index(lam)]), atol=1e-9), lam
    assert np.allclose(scene.shown_at[0.0], r2(s.h))  # λ = 0: the identity, on screen
    assert np.allclose(scene.o_panel.values_shown(), r2(s.delta))  # the replace panel shows Δ
    cos_add, cos_replace = (shown(row[-1]) for row in scene.compare)
    assert cos_add == r2(s.cos_to_h[s.index(1.0)]) and cos_replace == r2(s.replace_cos)


def ffprobe(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration:stream=codec_name,width,height,pix_fmt",
                          "-of", "json", str(path)], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


@pytest.mark.render
@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffprobe not installed")
@pytest.mark.parametrize("scene", ["residual", "layernorm", "ffn"])
def test_render_clip(tmp_path, scene):
    media = tmp_path / "media"
    cmd = [sys.executable, "-m", "blockmath", "render", scene, "-q", "l", "--resolution", "256x144",
           "--media-dir", str(media), "--sentence", "Short sentences render fast."]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert r.returncode == 0, r.stderr
    clip = Path(r.stdout.strip().splitlines()[-1])
    assert clip.is_file() and clip.name == f"{scene}.mp4" and clip.is_relative_to(media / "clips")
    info = ffprobe(clip)
    video = info["streams"][0]
    assert (video["width"], video["height"]) == (256, 144)
    assert video["codec_name"] == "h264" and video["pix_fmt"] == "yuv420p"
    assert 15.0 <= float(info["format"]["duration"]) <= 60.0
    assert not list((media / ".work").iterdir())  # the work folder is cleaned up
    poster = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=width,height", "-of", "csv=p=0",
                             str(clip.with_suffix(".png"))], capture_output=True, text=True, check=True).stdout
    assert poster.strip() == "256,144"  # the last frame, as a poster for slides and galleries
    stamp = json.loads(clip.with_suffix(".json").read_text())
    assert stamp["config"]["sentence"] == "Short sentences render fast."
    # nothing changed: the second run does not render again
    again = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert again.returncode == 0 and "up to date" in again.stdout


@pytest.mark.parametrize("name", ["default", "short"])
def test_block_scene_shows_the_trace(monkeypatch, name):
    from block import BlockScene

    env = SENTENCES[name]
    scene, t = dry_run(BlockScene, monkeypatch, env), expected_trace(env)
    b, i = t.block, t.tracked
    assert np.allclose(scene.shown_states, r2([b.x[i], b.h_attn[i], b.out[i]], 1), atol=1e-9)
    assert np.allclose(scene.update_rows, r2([b.attn_out[i], b.ffn_out[i]], 1), atol=1e-9)


@pytest.mark.parametrize("name", list(SENTENCES))
def test_layernorm_scene_shows_the_trace(monkeypatch, name):
    from layernorm import LayerNormScene

    env = SENTENCES[name]
    scene, t = dry_run(LayerNormScene, monkeypatch, env), expected_trace(env)
    ln = t.layernorm
    assert np.allclose(scene.before.values_shown(), r2(t.block.x, 1), atol=1e-9)
    assert np.allclose(scene.after.values_shown(), r2(ln.out, 1), atol=1e-9)
    assert np.allclose(scene.row_bars.values_shown(), r2(ln.out[t.tracked]), atol=1e-9)
    assert np.allclose([shown(n) for n in scene.mu_numbers], r2(ln.mean), atol=1e-9)
    assert np.allclose([shown(n) for n in scene.sigma_numbers], r2(ln.std), atol=1e-9)


def test_takeaways_scene_shows_the_trace(monkeypatch):
    from takeaways import TakeawaysScene

    scene, t = dry_run(TakeawaysScene, monkeypatch, {}), expected_trace({})
    s = t.sweep
    assert np.allclose(scene.res_bars.values_shown(), r2(s.out[s.index(1.0)]), atol=1e-9)
    # colours only (no numbers) in the small matrices: compare the fill colours with the trace's values
    from common import value_color
    ln_colors = [c.get_fill_color().to_hex() for c in scene.ln_matrix.cells]
    assert ln_colors == [value_color(v, scene.ln_matrix.vmax).to_hex() for v in t.layernorm.out.ravel()]
    out_colors = [c.get_fill_color().to_hex() for c in scene.ffn_outputs.cells]
    assert out_colors == [value_color(v, scene.ffn_outputs.vmax).to_hex() for v in t.block.ffn_out.ravel()]
