"""The benchmark runs end to end and reports sane figures. No timing assertions: the targets live in the bench."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from blockmath.bench import loglog_slope, main, sentence_of

ROOT = Path(__file__).resolve().parents[1]


def test_sentences_have_the_asked_length():
    from blockmath import tokenize
    assert [len(tokenize(sentence_of(n))) for n in (2, 8, 16)] == [2, 8, 16]


def test_loglog_slope():
    assert loglog_slope([16, 128], [1.0, 8.0]) == pytest.approx(1.0)  # linear
    assert loglog_slope([16, 32, 64], [2.0, 2.0, 2.0]) == pytest.approx(0.0)  # flat
    assert loglog_slope([16, 16], [1.0, 2.0]) is None  # one size: no growth to measure


@pytest.mark.parametrize("args, message", [(["--scenes", "bogus"], "unknown scene"),
                                           (["--qualities", "z"], "quality must be one of"),
                                           (["--resolution", "12x"], "resolution must look like"),
                                           (["--preview-runs", "0"], "--preview-runs must be between")])
def test_bad_options_stop_before_rendering(args, message, capsys, tmp_path):
    assert main([*args, "--json", str(tmp_path / "b.json")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "b.json").exists()


@pytest.mark.render
@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffprobe not installed")
def test_quick_bench_writes_sane_json(tmp_path):
    out = tmp_path / "bench.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BLOCKMATH_")}
    r = subprocess.run([sys.executable, "-m", "blockmath.bench", "--quick", "--preview-runs", "2", "--json", str(out)],
                       check=False, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=900)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "Targets" in r.stdout and str(out) in r.stdout
    report = json.loads(out.read_text())
    assert report["mode"] == "quick" and report["errors"] == [] and report["total_s"] > 0

    (row,) = report["scenes"]  # one scene at -ql, small frames
    assert row["scene"] == "residual" and row["quality"] == "l" and row["label"] == "480p15-192x108"
    base = row["baseline"]
    for fig in (row, base):
        assert fig["wall_s"] > 0 and fig["video_s"] > 0 and fig["s_per_video_s"] > 0 and fig["max_rss_mb"] > 0
    assert abs(base["video_s"] - row["video_s"]) < 0.5  # a baseline of equal duration
    assert row["ratio"] == pytest.approx(row["s_per_video_s"] / base["s_per_video_s"], rel=0.01)
    assert row["limit_s_per_video_s"] is None and row["pass"] is None  # 1080p60 target: not measured in quick mode

    preview = report["preview"]
    assert preview["rendered"] and preview["wall_s"] > 0 and preview["video_s"] > 0
    assert preview["limit_s"] == 10.0 and isinstance(preview["pass"], bool)
    assert len(preview["runs_s"]) == 2 and preview["cold_wall_s"] > 0  # two new sentences: the median is the figure
    assert preview["wall_s"] == pytest.approx(sum(preview["runs_s"]) / 2, abs=1e-3)
    assert preview["max_s"] == max(preview["runs_s"])
    if Path("/proc/stat").exists():  # the hypervisor's share is measured where Linux reports it
        assert all(0.0 <= x <= 1.0 for x in preview["runs_steal"]) and 0.0 <= report["machine"]["steal"] <= 1.0

    noops = report["noop"]
    assert len(noops) >= 2
    for n in noops:
        if "skipped" in n:  # make missing, or it would reinstall the venv
            assert n["name"].startswith("make") and n["pass"] is None
            continue
        assert n["up_to_date"] and n["wall_s"] > 0 and any("up to date" in line for line in n["output"])
        assert isinstance(n["pass"], bool)

    scaling = report["scaling"]
    assert scaling["scene"] == "layernorm"
    assert [(p["tokens"], p["d_model"]) for p in scaling["points"]] == [(2, 8), (16, 8)]
    for p in scaling["points"]:
        assert p["td"] == p["tokens"] * p["d_model"] and p["wall_s"] > 0 and p["s_per_video_s"] > 0
        assert p["s_per_video_s_per_td"] == pytest.approx(p["s_per_video_s"] / p["td"], rel=0.01)
    assert isinstance(scaling["exponent"], float) and isinstance(scaling["pass"], bool)

    names = [t["name"] for t in report["targets"]]
    assert any(n.startswith("preview") for n in names) and any(n.startswith("growth") for n in names)
    assert all(t["pass"] in (True, False, None) for t in report["targets"])


def test_a_set_counts_each_clip_once():
    """`render all` names each clip twice (as it starts, then alone on its line): the set's seconds of video count
    it once (the first bench of the sets added every clip twice)."""
    from blockmath.bench_sets import clip_paths

    out = ("rendering residual (1080p60) -> /m/a b/residual.mp4\n/m/a b/residual.mp4\n"
           "up to date: /m/a b/ffn.mp4\n/m/a b/ffn.mp4\n")
    assert clip_paths(out) == [Path("/m/a b/residual.mp4"), Path("/m/a b/ffn.mp4")]
