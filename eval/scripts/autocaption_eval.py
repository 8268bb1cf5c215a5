"""How good are automatic captions? FaceScript takes (truth known) and the shared real takes.

    OMP_NUM_THREADS=1 python eval/scripts/autocaption_eval.py --num-samples 300 \
        --work /tmp/autocaption_eval --out eval/results/autocaption

1. FaceScript: ``tdmm-lm data synth`` makes clips with their scripts; each synthetic subject's
   clips are joined into one long take (1 s of interpolated rest between clips) and written as a
   Live Link Face CSV. ``tdmm-lm data autocaption`` then cuts and captions the takes, knowing
   nothing of the joins. Scored in take time:
   - primary named: a truth clip's first scripted action is named by an auto clip's event that
     overlaps that action's span (+-0.5 s);
   - precision: a named event is right when a scripted segment with the same action (or, for a
     blink, a spontaneous blink) overlaps it (+-0.5 s);
   - the same two numbers for the describer on each truth clip alone (no cutting) as reference.
2. Real takes (``../shared/assets/livelinkface``): autocaption them, and draw for each take its
   activity and most active curves with the clips shaded and numbered, plus contact sheets of a
   few clips on the ICT face (``--rig``). The by-eye notes are written in the .md by hand,
   under ``BY_EYE``; a rerun keeps them.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
TOL_S = 0.5
BY_EYE = "## By eye (written by hand)"


def join_takes(dataset: Path, takes: Path, gap_s: float = 1.0) -> dict[str, list[dict]]:
    """One CSV per synthetic subject; returns the truth per take (clips with take-time spans)."""
    from tdmm_lm.data.schema import load_dataset_dict, split_motions
    from tdmm_lm.motion import ARKIT61, Motion, save
    dd = load_dataset_dict(str(dataset))
    by_subject: dict[str, list] = defaultdict(list)
    for split in dd.values():
        for motion, attrs in zip(split_motions(split), split["attributes"]):
            by_subject[motion.meta["subject"]].append((motion, json.loads(attrs)))
    takes.mkdir(parents=True, exist_ok=True)
    truth = {}
    for subject, clips in sorted(by_subject.items()):
        fps = clips[0][0].fps
        parts, clips_truth, frames = [], [], 0
        for motion, attrs in clips:
            if parts:
                n = int(round(gap_s * fps))
                w = np.linspace(0, 1, n + 2)[1:-1, None]
                parts.append((1 - w) * parts[-1][-1] + w * motion.data[0])
                frames += n
            off = frames / fps
            clips_truth.append({
                "id": motion.meta["id"], "start_s": off, "end_s": off + motion.duration,
                "segments": [{"action": s["action"], "side": s["side"], "start_s": off + s["start_s"],
                              "end_s": off + s["end_s"]} for s in attrs["segments"]],
                "blinks": [off + b for b in attrs.get("spontaneous_blinks", [])]})
            parts.append(motion.data)
            frames += motion.num_frames
        save(Motion(np.concatenate(parts), fps, ARKIT61, ARKIT61.channels), takes / f"{subject}.csv")
        truth[subject] = clips_truth
    return truth


def overlaps(a0, a1, b0, b1, tol=TOL_S) -> bool:
    return a0 < b1 + tol and b0 < a1 + tol


def auto_events(out: Path) -> tuple[dict[str, list[dict]], list[dict]]:
    """Named events per take in take time, and the clips (take, span, confidence, text)."""
    from tdmm_lm.data.schema import load_dataset_dict
    events, clips = defaultdict(list), []
    for split in load_dataset_dict(str(out)).values():
        for text, raw in zip(split["text"], split["attributes"]):
            a = json.loads(raw)
            take = Path(a["take"]).stem
            clips.append({"take": take, "piece": a.get("piece"), "file": a["take"],
                          "start_s": a["start_s"], "end_s": a["end_s"],
                          "confidence": a["confidence"], "text": text,
                          "unexplained": a["evidence"]["unexplained"]})
            for e in a["evidence"]["events"]:
                events[take].append({**e, "start_s": a["start_s"] + e["start_s"],
                                     "end_s": a["start_s"] + e["end_s"],
                                     "confidence": a["confidence"]})
    return events, clips


def is_right(event: dict, clips_truth: list[dict]) -> bool:
    for clip in clips_truth:
        for s in clip["segments"]:
            if s["action"] == event["action"] and overlaps(event["start_s"], event["end_s"],
                                                          s["start_s"], s["end_s"]):
                return True
        if event["action"] == "blink" and any(
                overlaps(event["start_s"], event["end_s"], b, b) for b in clip["blinks"]):
            return True
    return False


def score_takes(truth: dict[str, list[dict]], events: dict[str, list[dict]], clips: list[dict]
                ) -> dict:
    n_truth = sum(len(c) for c in truth.values())
    named = covered = 0
    for take, clips_truth in truth.items():
        spans = [(c["start_s"], c["end_s"]) for c in clips if c["take"] == take]
        for clip in clips_truth:
            p = clip["segments"][0]
            covered += any(overlaps(clip["start_s"], clip["end_s"], s, e, 0) for s, e in spans)
            named += any(e["action"] == p["action"] and overlaps(e["start_s"], e["end_s"],
                                                                p["start_s"], p["end_s"])
                         for e in events.get(take, []))
    right = [(e["confidence"], is_right(e, truth[take])) for take in events for e in events[take]]
    bins = {}
    for name, lo, hi in (("confidence < 0.5", -1, 0.5), ("confidence >= 0.5", 0.5, 2)):
        sel = [ok for c, ok in right if lo <= c < hi]
        bins[name] = {"events": len(sel), "precision": float(np.mean(sel)) if sel else None}
    spanning = sum(sum(overlaps(c["start_s"], c["end_s"], t["start_s"], t["end_s"], 0)
                       for t in truth[c["take"]]) > 1 for c in clips)
    return {"truth_clips": n_truth, "auto_clips": len(clips),
            "primary_named": named / n_truth, "covered": covered / n_truth,
            "named_events": len(right), "precision": float(np.mean([ok for _, ok in right])),
            "by_confidence": bins, "auto_clips_spanning_2plus_truth_clips": spanning,
            "mean_auto_clip_s": float(np.mean([c["end_s"] - c["start_s"] for c in clips]))}


def score_clips_alone(dataset: Path) -> dict:
    """The describer on each truth clip alone (no cutting): the upper reference."""
    from tdmm_lm.benchmark.detectors import detect_many, named_events
    from tdmm_lm.data.schema import load_dataset_dict, split_motions
    named = total = right = n = 0
    for split in load_dataset_dict(str(dataset)).values():
        motions = split_motions(split)
        for events, raw in zip(detect_many(motions), split["attributes"]):
            a = json.loads(raw)
            want = {s["action"] for s in a["segments"]} | ({"blink"} if a["spontaneous_blinks"] else set())
            said = {e.action for e, _ in named_events(events)}
            n += 1
            named += a["segments"][0]["action"] in said
            total += len(said)
            right += len(said & want)
    return {"clips": n, "primary_named": named / n, "precision": right / max(total, 1),
            "named_events": total}


def real_takes(takes: Path, work: Path, figures: Path, rig: str | None, extra: list[str]) -> dict:
    from tdmm_lm.cli import main as cli
    out = work / "real"
    assert cli(["data", "autocaption", str(takes), "--out", str(out), "--overwrite",
                "--split", "clip"]) == 0
    _, clips = auto_events(out)
    skipped = [json.loads(line) for line in (out / "skipped.jsonl").read_text().splitlines()]
    figures.mkdir(parents=True, exist_ok=True)
    by_take = defaultdict(list)
    for c in sorted(clips, key=lambda c: (c["take"], c["piece"] or 0, c["start_s"])):
        by_take[(c["file"], c["piece"])].append(c)
    for (file, piece), cs in by_take.items():
        name = Path(file).stem + (f"_piece{piece}" if piece else "")
        plot_take(Path(file), piece, cs, figures / f"{name}.png")
    if rig:
        sheets(out, figures, rig, cli, extra)
    return {"clips": clips, "skipped": skipped}


def plot_take(path: Path, piece: int | None, clips: list[dict], png: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tdmm_lm.benchmark.autocaption import activity
    from tdmm_lm.motion.io import load_pieces
    m = load_pieces(path)[(piece or 1) - 1]   # the reader's default gap policy, as autocaption
    t = np.arange(m.num_frames) / m.fps
    fig, axes = plt.subplots(2, 1, figsize=(16, 6), sharex=True)
    axes[0].plot(t, activity(m.data, m.fps), lw=1, color="k")
    axes[0].set_ylabel("activity")
    for d in np.argsort(-m.data[:, :52].std(0))[:8]:
        axes[1].plot(t, m.data[:, d], lw=1, label=m.channels[d])
    axes[1].legend(fontsize=7, ncol=4, loc="upper right")
    for k, c in enumerate(clips):
        for ax in axes:
            ax.axvspan(c["start_s"], c["end_s"], color="C1" if k % 2 else "C2", alpha=0.15)
        axes[0].text(c["start_s"], axes[0].get_ylim()[1] * 0.9, str(k), fontsize=8)
    axes[1].set_xlabel("time (s)")
    axes[0].set_title(f"{path.name}{f' piece {piece}' if piece else ''}: clips (shaded, numbered) "
                      "and the 8 most variable blendshapes")
    fig.tight_layout()
    fig.savefig(png, dpi=80)
    plt.close(fig)


def sheets(out: Path, figures: Path, rig: str, cli, extra: list[str]) -> None:
    """Contact sheets of the two least and the two most confident clips, and of ``extra`` ids."""
    from tdmm_lm.data.schema import load_dataset_dict, row_motion
    from tdmm_lm.motion import save
    rows = [r for split in load_dataset_dict(str(out)).values() for r in split]
    rows.sort(key=lambda r: json.loads(r["attributes"])["confidence"])
    picks = {r["id"]: r for r in (rows[:2] + rows[-2:] + [r for r in rows if r["id"] in extra])}
    for rid, r in picks.items():
        npz = out.parent / f"{rid}.npz"
        save(row_motion(r), npz)
        conf = json.loads(r["attributes"])["confidence"]
        cli(["render", str(npz), "-o", str(figures / f"{rid}.png"), "--rig", rig,
             "--caption", f"[auto, confidence {conf:.2f}] {r['text']}"])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--num-samples", type=int, default=300)
    p.add_argument("--num-subjects", type=int, default=15)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--work", type=Path, default=Path("/tmp/autocaption_eval"))
    p.add_argument("--real", type=Path, default=ROOT.parent / "shared" / "assets" / "livelinkface")
    p.add_argument("--rig", default=str(ROOT.parent / "shared" / "assets" / "ict_facekit" / "ict_arkit_rig.npz"))
    p.add_argument("--out", default="eval/results/autocaption")
    p.add_argument("--sheets", nargs="*", default=["auto_sentien_MySlate_24_iPhone_003",
                                                   "auto_sentien_MySlate_24_iPhone_004",
                                                   "auto_alexdjulin_S88-001_p2_007"],
                   help="clip ids to draw contact sheets of, beside the least/most confident")
    args = p.parse_args()

    from tdmm_lm.cli import main as cli
    from tdmm_lm.provenance import write_result
    data = args.work / "facescript"
    assert cli(["data", "synth", "--out", str(data), "--num-samples", str(args.num_samples),
                "--num-subjects", str(args.num_subjects), "--seed", str(args.seed),
                "--overwrite"]) == 0
    truth = join_takes(data, args.work / "takes")
    assert cli(["data", "autocaption", str(args.work / "takes"), "--out", str(args.work / "auto"),
                "--overwrite", "--split", "clip"]) == 0
    events, clips = auto_events(args.work / "auto")
    results = {"facescript_takes": score_takes(truth, events, clips),
               "facescript_clips_alone": score_clips_alone(data)}
    if args.real.is_dir():
        results["real"] = real_takes(args.real, args.work, Path(args.out), args.rig
                                     if Path(args.rig).is_file() else None, args.sheets)
    fs, alone = results["facescript_takes"], results["facescript_clips_alone"]
    lines = ["# Auto-captions (`tdmm-lm data autocaption`)\n",
             f"FaceScript: {args.num_samples} clips (seed {args.seed}) joined into "
             f"{len(truth)} long takes, one per synthetic subject; cut and captioned blind.\n",
             "| setting | truth clips | primary action named | precision of named actions | named events |",
             "| --- | --- | --- | --- | --- |",
             f"| takes cut by autocaption | {fs['truth_clips']} | {fs['primary_named']:.3f} | "
             f"{fs['precision']:.3f} | {fs['named_events']} |",
             f"| each clip alone (no cutting, reference) | {alone['clips']} | "
             f"{alone['primary_named']:.3f} | {alone['precision']:.3f} | {alone['named_events']} |",
             "",
             f"Cutting: {fs['auto_clips']} auto clips (mean {fs['mean_auto_clip_s']:.2f} s); "
             f"{fs['covered']:.1%} of truth clips overlap an auto clip; "
             f"{fs['auto_clips_spanning_2plus_truth_clips']} auto clips span 2+ truth clips.\n",
             "Precision by the clip's confidence: " + "; ".join(
                 f"{k}: {v['precision']:.3f} ({v['events']} events)" if v["precision"] is not None
                 else f"{k}: no events" for k, v in fs["by_confidence"].items()) + "\n"]
    if "real" in results:
        lines += ["## Shared real takes\n", "| take | span (s) | confidence | unexplained | caption |",
                  "| --- | --- | --- | --- | --- |"]
        for c in sorted(results["real"]["clips"], key=lambda c: (c["take"], c["piece"] or 0, c["start_s"])):
            piece = f" piece {c['piece']}" if c["piece"] else ""
            lines.append(f"| {c['take']}{piece} | {c['start_s']:.1f}-{c['end_s']:.1f} | {c['confidence']:.2f} "
                         f"| {c['unexplained']:.2f} | {c['text']} |")
        lines += ["", "Skipped or noted (skipped.jsonl): " + ("; ".join(
            f"{Path(s['source']).name}: {s.get('reason') or 'note: ' + s['note']}"
            for s in results["real"]["skipped"]) or "none") + "\n"]
    md = Path(args.out).with_suffix(".md")
    kept = md.read_text().split(BY_EYE, 1) if md.is_file() else []
    if len(kept) == 2:   # the notes end where the environment block begins
        lines += ["", BY_EYE + kept[1].split("\n## Environment")[0].rstrip()]
    write_result(args.out, results, "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
