"""The Markdown tables of a benchmark run: one row per model, ``mean ± 95% CI`` per cell."""

from __future__ import annotations

from typing import Any

from tdmm_lm.benchmark.config import BenchmarkConfig

# (key, header); arrows: ↑ higher is better, ↓ lower, → closer to the ground truth's value
MOTION_COLUMNS = (("top1", "R-Prec top-1 ↑"), ("top2", "top-2 ↑"), ("top3", "top-3 ↑"),
                  ("fid", "FID ↓"), ("matching", "MM-Dist ↓"), ("diversity", "Diversity →"),
                  ("multimodality", "MModality ↑"))
TDMM_COLUMNS = (("l2_expression", "L2 expr ↓"), ("l2_pose", "L2 pose ↓"),
                ("frame_fd", "Frame FD ↓"), ("token_accuracy", "Token acc ↑"),
                ("vertex_mm", "Vertex mm ↓"), ("vertex_relative", "Rel. vertex ↓"),
                ("lip_vertex_mm", "Lip vertex mm ↓"), ("judge", "Detectors ↑"))
TEXT_COLUMNS = (("top1", "R-Prec top-1 ↑"), ("top3", "top-3 ↑"), ("matching", "MM-Dist ↓"),
                ("bleu_1", "BLEU-1 ↑"), ("bleu_4", "BLEU-4 ↑"), ("rouge_l", "ROUGE-L ↑"),
                ("cider", "CIDEr ↑"), ("bertscore", "BERTScore (MiniLM) ↑"), ("cor_e", "Cor_E ↑"),
                ("cor_m", "Cor_M ↑"), ("cor_i", "Cor_I ↑"))


def _cell(stat: dict[str, Any] | None) -> str:
    if stat is None:
        return "–"
    return f"{stat['mean']:.3f} ± {stat['ci95']:.3f}"


def table(rows: dict[str, dict[str, Any]], columns) -> str:
    """A Markdown table of ``rows[label][key] = {"mean", "ci95"}`` over the columns any row has."""
    present = [(k, h) for k, h in columns if any(k in r for r in rows.values())]
    if not rows or not present:
        return ""
    lines = ["| model | " + " | ".join(h for _, h in present) + " |",
             "| --- |" + " --- |" * len(present)]
    lines += [f"| {label} | " + " | ".join(_cell(r.get(k)) for k, _ in present) + " |"
              for label, r in rows.items()]
    return "\n".join(lines) + "\n"


def separated(a: dict[str, Any], b: dict[str, Any], key: str) -> bool:
    """Whether the 95% intervals of ``key`` in two rows do not overlap."""
    if key not in a or key not in b:
        return False
    lo, hi = sorted((a[key], b[key]), key=lambda s: s["mean"])
    return lo["mean"] + lo["ci95"] < hi["mean"] - hi["ci95"]


def _versus_ground_truth(rows: dict[str, dict[str, Any]]) -> str:
    gt = rows.get("ground-truth")
    if gt is None:
        return ""
    lines = []
    for label, row in rows.items():
        if label == "ground-truth" or "top3" not in row:
            continue
        worse = [name for key, name in (("top3", "R-precision top-3"), ("matching", "MM-Dist"))
                 if key in row and separated(gt, row, key)
                 and (row[key]["mean"] < gt[key]["mean"]) == (key == "top3")]
        lines.append(f"- {label}: " + (f"worse than ground-truth on {' and '.join(worse)} beyond "
                                       "the 95% intervals" if worse else
                                       "not separable from ground-truth on R-precision top-3 and "
                                       "MM-Dist at 95%"))
    return "\n".join(lines) + "\n" if lines else ""


def markdown(cfg: BenchmarkConfig, results: dict[str, Any]) -> str:
    gens, descs = results.get("generators", {}), results.get("describers", {})
    ext = results.get("extractor", {})
    out = [f"# Benchmark `{cfg.name}`\n",
           f"{results['clips']} clips of `{cfg.dataset}` split `{cfg.split}` ({cfg.format}, "
           f"{cfg.fps:g} fps, at most {cfg.max_frames} frames); extractor `{cfg.extractor}` "
           f"(train fingerprint `{str(ext.get('fingerprint', '?'))[:12]}`); "
           f"{cfg.replications} replications, mean ± 1.96·std/√{cfg.replications}; R-precision "
           f"batches of {cfg.batch_size}; Diversity {cfg.diversity_times} pairs; Multimodality "
           f"{cfg.mm_times} pairs of generations per text. Run time {results.get('seconds')} s.\n"]
    if gens:
        out += ["## Text to motion\n", table(gens, MOTION_COLUMNS), _versus_ground_truth(gens)]
        if results.get("shared_prompts"):
            out.append(f"{results['shared_prompts']} of the {results['clips']} clips share their "
                       "prompt with another clip; the ground-truth generator answers such a prompt "
                       "with the first of them, so its per-clip errors below are not exactly 0.\n")
        tdmm = table(gens, TDMM_COLUMNS)
        if tdmm:
            out += ["### Against each clip's own reference\n",
                    f"Over the first {cfg.detail_count} replications.\n", tdmm,
                    "Vertex errors on " + str(results.get("geometry", "the resolved geometry")) +
                    "; Detectors = share of the prompt's scripted actions the rule-based "
                    "detectors find (tilts left out, see eval/results/detectors.md).\n"]
    if descs:
        out += ["## Motion to text\n", table(descs, TEXT_COLUMNS),
                "R-precision / MM-Dist: each description against the clip motions through the "
                "extractor. BLEU on a 0-100 scale; BERTScore with all-MiniLM-L6-v2 (not "
                "comparable to roberta-large BERTScores).\n"]
    return "\n".join(out)
