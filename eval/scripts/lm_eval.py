"""TDMM-LM on the subject-disjoint FaceScript test split: M2L and L2M, every run in one table.

    tdmm-lm llm train --config configs/lm/tiny_vocab.yaml                             # vocab L2M
    tdmm-lm llm train --config configs/lm/tiny.yaml                                   # prefix L2M
    nice -n 5 python eval/scripts/lm_eval.py --dataset runs/facescript_codes \\
        --runs vocab=runs/lm_tiny_vocab prefix=runs/lm_tiny
    # writes eval/results/lm_tiny.{md,json}

M2L: each test motion is described (greedy); BLEU-4 (0-100) and ROUGE-L (0-1) by the benchmark's
``caption_scores`` (sacrebleu / rouge-score, all paraphrases as references; BLEU-1 and CIDEr in
the JSON), and the share of the ground-truth actions,
sides, emotion, head motion and intensity the description names (``facescript.parse``).
L2M: teacher-forced token accuracy against the reference codes (canonical prompt, no duration),
and the L2M loss when each clip's codes follow another clip's prompt (the gap to the true-prompt
loss says how much generation reads the text);
then each canonical prompt is generated at the reference clip's length and compared with the
reference motion: per-frame parameter L2 (expression and pose channels, as the benchmark) and the
share of motions whose strongest actions include the prompt's primary action
(``facescript.judge``, top-2 and top-1). Reference rows: the VQ reconstruction of the reference
codes (what a perfect code predictor would reach), the reference itself (judge ceiling) and a
random training motion (the floor).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from tdmm_lm.benchmark.metrics import parameter_l2  # noqa: E402
from tdmm_lm.benchmark.text_metrics import caption_scores  # noqa: E402
from tdmm_lm.data.facescript.judge import matches_primary_action  # noqa: E402
from tdmm_lm.data.facescript.parse import attribute_scores, parse_description  # noqa: E402
from tdmm_lm.data.schema import load_dataset_dict  # noqa: E402
from tdmm_lm.generators import generate_all  # noqa: E402
from tdmm_lm.lm.batches import load_clips  # noqa: E402
from tdmm_lm.lm.tdmmlm import TDMMLM  # noqa: E402
from tdmm_lm.lm.scoring import score  # noqa: E402
from tdmm_lm.provenance import write_result  # noqa: E402
from tdmm_lm.data.schema import split_motions  # noqa: E402

ATTRIBUTES = ("actions", "sides", "emotion", "head_motion", "intensity")


def attribute_shares(descriptions: list[str], attributes: list[str]) -> dict:
    """Mean of each ``attribute_scores`` field over the clips where it applies."""
    rows = [attribute_scores(parse_description(d), a) for d, a in zip(descriptions, attributes)]
    return {k: float(np.mean([r[k] for r in rows if r.get(k) is not None] or [np.nan]))
            for k in ATTRIBUTES}


def motion_scores(generated, references, attributes) -> dict:
    l2 = parameter_l2([g.data for g in generated], [r.data for r in references],
                      references[0].channels)
    n = len(generated)
    return {"param_l2_expression": l2["expression"], "param_l2_pose": l2["pose"],
            "match_top2": sum(matches_primary_action(g, a) for g, a in zip(generated, attributes)) / n,
            "match_top1": sum(matches_primary_action(g, a, top=1)
                              for g, a in zip(generated, attributes)) / n}


def run_info(run: Path) -> dict:
    state = json.loads((run / "last" / "trainer_state.json").read_text())
    log = [json.loads(x) for x in (run / "log.jsonl").read_text().splitlines()]
    loads = [r["load_average_1m"] for r in log if "load_average_1m" in r]
    best = run / "best"
    weights = best / "adapter" / "adapter_model.safetensors"
    if not weights.is_file():
        weights = best / "model" / "model.safetensors"
    return {"steps": state["step"], "train_minutes": round(state["train_seconds"] / 60, 2),
            "validation_minutes": round(state["validation_seconds"] / 60, 2),
            "train_tokens_per_s": round(state.get("train_tokens_per_s", 0)),
            "best_step": state["best_step"], "trainable_parameters": state["trainable_parameters"],
            "total_parameters": state["total_parameters"],
            "load_average_1m_mean": round(float(np.mean(loads)), 2) if loads else None,
            "saved_weights_file": str(weights.relative_to(run)),
            "saved_weights_bytes": weights.stat().st_size}


def evaluate_run(run: Path, split, clips, motions, seed: int, batch: int) -> dict:
    lm = TDMMLM.from_pretrained(str(run))
    attrs = list(split["attributes"])
    t = time.perf_counter()
    forced = score(lm.model, lm.tokenizer, lm.vocab, clips, max_length=lm.cfg.data.max_length,
                   prefix=lm.prefix, features=lm.features)
    # the same codes under the NEXT clip's prompt: how much the L2M loss depends on the text
    rotated = [dataclasses.replace(c, texts=clips[(i + 1) % len(clips)].texts)
               for i, c in enumerate(clips)]
    wrong = score(lm.model, lm.tokenizer, lm.vocab, rotated, max_length=lm.cfg.data.max_length,
                  prefix=lm.prefix, features=lm.features)
    forced["l2m_loss_wrong_prompt"] = wrong["l2m_loss"]
    forced["l2m_token_accuracy_wrong_prompt"] = wrong["l2m_token_accuracy"]
    t_forced = time.perf_counter() - t
    t = time.perf_counter()
    descriptions = []
    for i in range(0, len(motions), batch):
        descriptions += lm.describe(motions[i:i + batch], seed=seed)
    t_describe = time.perf_counter() - t
    refs = [r.data for r in motions]
    lengths = [len(r) for r in refs]     # the tokenizer's fps is the corpus fps (30)
    t = time.perf_counter()
    generated = generate_all(lm, [c.texts[0] for c in clips], lengths, seed=seed, batch_size=batch)
    t_generate = time.perf_counter() - t
    return {"config": {"l2m_mode": lm.cfg.l2m.mode, "finetune": lm.cfg.model.finetune,
                       "motion_init": lm.cfg.model.motion_init},
            "train": run_info(run), **forced,
            **caption_scores(descriptions, [c.texts for c in clips]),
            **{f"named_{k}": v for k, v in attribute_shares(descriptions, attrs).items()},
            **motion_scores(generated, motions, attrs),
            "seconds": {"teacher_forced": t_forced, "describe": t_describe, "generate": t_generate},
            "examples": [{"reference": c.texts[0], "description": d}
                         for c, d in list(zip(clips, descriptions))[:8]]}


def references(dd, split, clips, motions, tokenizer, seed: int) -> dict:
    attrs = list(split["attributes"])
    recon = [tokenizer.decode(c.codes).replace(data=tokenizer.decode(c.codes).data[:len(m.data)])
             for c, m in zip(clips, motions)]
    rng = np.random.default_rng(seed)
    train = split_motions(dd["train"])
    rand = []
    for m in motions:
        other = train[int(rng.integers(len(train)))]
        data = other.data[:len(m.data)]
        if len(data) < len(m.data):   # edge-pad to the reference length
            data = np.concatenate([data, np.repeat(data[-1:], len(m.data) - len(data), 0)])
        rand.append(other.replace(data=data))
    return {"VQ reconstruction of the reference codes": motion_scores(recon, motions, attrs),
            "reference motion (judge ceiling)": motion_scores(motions, motions, attrs),
            "random training motion (floor)": motion_scores(rand, motions, attrs)}


def _f(x, digits=3):
    return "—" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.{digits}f}"


def markdown(results: dict, args) -> str:
    lines = ["# TDMM-LM on the FaceScript test split",
             "",
             f"Dataset `{args.dataset}`, split `{args.split}` ({results['clips']} clips, subjects "
             "disjoint from training), seed " f"{args.seed}. Produced by `eval/scripts/lm_eval.py` "
             "(its docstring gives the commands and the definitions).",
             "",
             "## M2L (description) and L2M (generation)",
             "",
             "| run | L2M mode | finetune | steps | train min | BLEU-4 | ROUGE-L | actions named "
             "| sides | emotion | head motion | intensity | L2M token acc | L2M loss (wrong prompt) "
             "| M2L loss | param L2 expr | param L2 pose | primary action top-2 | top-1 |",
             "|" + "---|" * 19]
    for name, r in results["runs"].items():
        c, t = r["config"], r["train"]
        lines.append(
            f"| {name} | {c['l2m_mode']} | {c['finetune']} | {t['steps']} | {t['train_minutes']} "
            f"| {_f(r['bleu_4'], 1)} | {_f(r['rouge_l'])} | {_f(r['named_actions'])} "
            f"| {_f(r['named_sides'])} | {_f(r['named_emotion'])} | {_f(r['named_head_motion'])} "
            f"| {_f(r['named_intensity'])} | {_f(r['l2m_token_accuracy'])} "
            f"| {_f(r['l2m_loss'])} ({_f(r['l2m_loss_wrong_prompt'])}) | {_f(r['m2l_loss'])} "
            f"| {_f(r['param_l2_expression'])} | {_f(r['param_l2_pose'])} "
            f"| {_f(r['match_top2'])} | {_f(r['match_top1'])} |")
    for name, r in results["references"].items():
        lines.append(f"| *{name}* | | | | | | | | | | | | | | | {_f(r['param_l2_expression'])} "
                     f"| {_f(r['param_l2_pose'])} | {_f(r['match_top2'])} | {_f(r['match_top1'])} |")
    lines += ["", "## Training runs", "",
              "| run | trainable / total parameters | tokens/s (train) | mean 1-min load average "
              "| best step | saved weights | bytes |", "|---|---|---|---|---|---|---|"]
    for name, r in results["runs"].items():
        t = r["train"]
        lines.append(f"| {name} | {t['trainable_parameters']:,} / {t['total_parameters']:,} "
                     f"| {t['train_tokens_per_s']:,} | {t['load_average_1m_mean']} | {t['best_step']} "
                     f"| `{t['saved_weights_file']}` | {t['saved_weights_bytes']:,} |")
    lines += ["", "## Sample descriptions (first test clips)", ""]
    for name, r in results["runs"].items():
        lines.append(f"**{name}**")
        lines += [f"- ref: {e['reference']}  \n  out: {e['description']}" for e in r["examples"][:4]]
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", required=True, help="tokenized DatasetDict (with `codes`)")
    p.add_argument("--runs", nargs="+", required=True, help="NAME=RUN_FOLDER ...")
    p.add_argument("--split", default="test")
    p.add_argument("--limit", type=int, help="only the first N clips")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest on a busy CPU)")
    p.add_argument("--out", default=str(ROOT / "eval" / "results" / "lm_tiny"))
    args = p.parse_args()
    torch.set_num_threads(args.threads)

    dd = load_dataset_dict(args.dataset)
    split = dd[args.split]
    if args.limit:
        split = split.select(range(min(args.limit, len(split))))
    runs = dict(item.split("=", 1) for item in args.runs)
    results = {"dataset": args.dataset, "split": args.split, "clips": len(split), "runs": {}}
    motions = split_motions(split)
    for name, folder in runs.items():
        lm_tps = TDMMLM.from_pretrained(folder).motion_tokenizer
        clips = load_clips(split, lm_tps.tokens_per_second)
        print(f"evaluating {name} ({folder}) on {len(clips)} clips", flush=True)
        results["runs"][name] = evaluate_run(Path(folder), split, clips, motions, args.seed, args.batch)
        print(json.dumps({k: v for k, v in results["runs"][name].items() if k != "examples"}, indent=1))
    results["references"] = references(dd, split, clips, motions, lm_tps, args.seed)
    json_path, md_path = write_result(args.out, results, markdown(results, args))
    print(f"wrote {json_path} and {md_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
