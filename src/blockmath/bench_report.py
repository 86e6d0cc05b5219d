"""The benchmark's targets and its plain-text report."""

from __future__ import annotations

from .bench_sets import table_lines

PREVIEW_LIMIT_S = 10.0  # command -> finished low-quality preview of a new sentence
NOOP_LIMIT_S = 1.0  # a rebuild with nothing to do
HQ_LIMIT = 3.0  # seconds of rendering per second of 1080p60 video, for every scene
GROWTH_LIMIT = 1.0  # cost ∝ (tokens × d_model)^k with k at most 1: at most linear


def targets(scene_rows: list[dict], preview: dict, noops: list[dict], scaling: dict) -> list[dict]:
    """One line per target: the measured value, the limit and pass/fail (None: not measured)."""
    hq = [r for r in scene_rows if r["limit_s_per_video_s"] is not None and "error" not in r]
    worst = max(hq, key=lambda r: r["s_per_video_s"]) if hq else None
    out = [{"name": "preview (-ql, new sentence)", "value": preview.get("wall_s"), "limit": PREVIEW_LIMIT_S,
            "unit": "s", "pass": preview.get("pass")}]
    out += [{"name": f"no-op: {n['name']}", "value": n.get("wall_s"), "limit": NOOP_LIMIT_S, "unit": "s",
             "pass": n.get("pass")} for n in noops]
    out.append({"name": "1080p60: slowest scene" + (f" ({worst['scene']})" if worst else " (not measured)"),
                "value": worst["s_per_video_s"] if worst else None, "limit": HQ_LIMIT, "unit": "s per video s",
                "pass": all(r["pass"] for r in hq) if hq else None})
    out.append({"name": f"growth with tokens × dims ({scaling['scene']})", "value": scaling["exponent"],
                "limit": GROWTH_LIMIT, "unit": "exponent", "pass": scaling["pass"]})
    return out


def _mark(ok) -> str:
    return "n/a" if ok is None else ("pass" if ok else "FAIL")


def _num(v, fmt: str) -> str:
    return "-" if v is None else format(v, fmt)


def table(report: dict) -> str:
    """The report as plain-text tables."""
    m = report["machine"]
    lines = [(f"blockmath bench ({report['mode']}): {m['cpus']} CPUs, load {m['load_start']} -> {m['load_end']}, "
              f"manim {m['manim']}, {report['total_s']:.0f} s in all"
              + (f", {m['steal']:.0%} of CPU time stolen by the hypervisor" if m.get("steal") is not None else "")
              + ". Wall-clock timings; noisy on a shared machine."),
             "", "Rendering cost: seconds of rendering per second of video (whole command, incl. start-up)",
             (f"{'scene':<14} {'quality':<16} {'video s':>8} {'wall s':>8} {'s/vid s':>8} {'floor':>7} {'× floor':>8} "
              f"{'RSS MiB':>8} {'floor MiB':>9}  target ≤{HQ_LIMIT:g} s/vid s at 1080p60")]
    for r in report["scenes"]:
        if "error" in r:
            lines.append(f"{r['scene']:<14} {r['label']:<16} error: {r['error']}")
            continue
        b = r["baseline"]
        lines.append(f"{r['scene']:<14} {r['label']:<16} {r['video_s']:8.1f} {r['wall_s']:8.1f} "
                     f"{r['s_per_video_s']:8.3f} {b['s_per_video_s']:7.3f} {r['ratio']:8.1f} {r['max_rss_mb']:8.0f} "
                     f"{b['max_rss_mb']:9.0f}  {_mark(r['pass'])}")
    p = report["preview"]
    lines += ["", "Preview and no-op rebuilds", f"{'what':<58} {'wall s':>7} {'result':<14} target"]
    what = f"preview: render {p['scene']} -q l, new sentence" + (" (median)" if len(p["runs_s"]) > 1 else "")
    lines.append(f"{what:<58} {_num(p.get('wall_s'), '7.2f')} "
                 f"{('rendered' if p.get('rendered') else p.get('error', 'not rendered')):<14} "
                 f"<{PREVIEW_LIMIT_S:g} s {_mark(p.get('pass'))}")
    if len(p["runs_s"]) > 1:
        lines.append("  (each run: " + ", ".join(f"{r:.2f}" for r in p["runs_s"]) + " s)")
    steals = [x for x in p.get("runs_steal", []) if x is not None]
    if steals:
        lines.append("  (CPU stolen by the hypervisor meanwhile: " + ", ".join(f"{x:.0%}" for x in steals) + ")")
    lines.append(f"{'  (the first render of all, into an empty media folder)':<58} {_num(p.get('cold_wall_s'), '7.2f')}")
    for n in report["noop"]:
        result = n["skipped"] if "skipped" in n else ("up to date" if n["up_to_date"] else "NOT up to date")
        lines.append(f"{'no-op: ' + n['name']:<58} {_num(n.get('wall_s'), '7.2f')} {result:<14} "
                     f"<{NOOP_LIMIT_S:g} s {_mark(n.get('pass'))}")
    s = report["scaling"]
    lines += ["", f"Growth: {s['scene']} at {s['label']}",
              f"{'tokens':>6} {'d_model':>7} {'T×d':>5} {'video s':>8} {'wall s':>8} {'s/vid s':>8} {'per T×d':>9}"]
    for q in s["points"]:
        lines.append(f"{q['tokens']:6d} {q['d_model']:7d} {q['td']:5d} {q['video_s']:8.1f} {q['wall_s']:8.1f} "
                     f"{q['s_per_video_s']:8.3f} {q['s_per_video_s_per_td']:9.5f}")
    lines.append(f"s/vid s ∝ (T×d)^{_num(s['exponent'], '.2f')} (wall s ∝ (T×d)^{_num(s['wall_exponent'], '.2f')}); "
                 f"target exponent ≤ {GROWTH_LIMIT:g} (at most linear): {_mark(s['pass'])}")
    lines += table_lines(report)
    lines += ["", "Targets"]
    for t in report["targets"]:
        lines.append(f"  {_mark(t['pass']):<5} {t['name']:<60} {_num(t['value'], '.3g'):>7} "
                     f"(limit {t['limit']:g} {t['unit']})")
    if report["errors"]:
        lines += ["", "Errors"] + [f"  {e}" for e in report["errors"]]
    return "\n".join(lines)
