"""Why the tiny MDM scored far below T2M-GPT, and what the fix changes (issue #17).

    Q=runs/quickstart   # a finished `tdmm-lm quickstart --out runs/quickstart`
    for seed in 0 1; do   # before: the plain x0 head and guidance 2.5 (the config as it was)
      nice -n 5 tdmm-lm baseline train mdm --config configs/baselines/mdm_tiny.yaml \\
        --dataset $Q/data/facescript_codes --out runs/mdm_before_s$seed --steps 1600 \\
        --max-minutes 2.5 --set model.input_skip=false --set model.guidance_scale=2.5 \\
        --set train.seed=$seed --set train.num_threads=1 --no-progress
      nice -n 5 tdmm-lm baseline train mdm --config configs/baselines/mdm_tiny.yaml \\
        --dataset $Q/data/facescript_codes --out runs/mdm_after_s$seed --steps 1600 \\
        --max-minutes 2.5 --set train.seed=$seed --set train.num_threads=1 --no-progress
    done
    nice -n 5 python eval/scripts/mdm_sampling.py --dataset $Q/data/facescript \\
        --extractor $Q/extractor --t2m-gpt $Q/t2m_gpt/best \\
        --run before=runs/mdm_before_s0 --run before=runs/mdm_before_s1 \\
        --run after=runs/mdm_after_s0 --run after=runs/mdm_after_s1
    # writes eval/results/mdm_sampling.{md,json}

The quickstart's budget (1600 steps, 2.5 minutes) for every run. Each MDM run is sampled with
guidance 2.5 and 1.0 on the validation split (where the setting is chosen) and the test split
(the quickstart benchmark's). Benchmark measures (the shared runner, its extractor and cache):
FID, R-precision top-3, Frame FD (Fréchet distance of single benchmark-normalised frames).
Motion measures on the benchmark's normalised channels at 30 fps, replication 0: *jitter* =
mean absolute frame-to-frame change, *within-clip std* = how much a clip moves around its own
mean (a held pose scores 0), *spread* = median over channels of the pooled std; each as a
ratio to the ground truth (1 = like the data). Denoiser measure: the x0 error (MSE in the
model's normalised units) on the first 64 validation clips at t = 0 and t = 200, next to the
error of returning the input (``x_t / sqrt(alpha_bar)``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import yaml  # noqa: E402

from tdmm_lm.benchmark.config import BenchmarkConfig, ModelEntry  # noqa: E402
from tdmm_lm.benchmark.runner import Benchmark, generations, resolved, score_generator  # noqa: E402
from tdmm_lm.provenance import write_result  # noqa: E402

GUIDANCE = (2.5, 1.0)
PROBE_TIMESTEPS = (0, 200)
PROBE_CLIPS = 64


def motion_measures(bench: Benchmark, motions) -> dict[str, float]:
    """Jitter, within-clip std and spread of ``motions`` as ratios to the references'."""
    norm = bench.extractor.normalizer

    def raw(arrays):
        z = [norm.normalize(a) for a in arrays]
        return {"jitter": float(np.mean(np.concatenate([np.abs(np.diff(a, axis=0)) for a in z]))),
                "within": float(np.mean([a.std(0).mean() for a in z])),
                "spread": np.concatenate(z).std(0)}

    ref, gen = raw([r.data for r in bench.references]), raw([m.data for m in motions])
    return {"jitter": gen["jitter"], "jitter_ratio": gen["jitter"] / ref["jitter"],
            "within_ratio": gen["within"] / ref["within"],
            "spread_ratio": float(np.median(gen["spread"] / np.maximum(ref["spread"], 1e-6)))}


def round_trip(bench: Benchmark, fps: float) -> dict:
    """The references resampled to MDM's ``fps`` and back, scored like a generator: what the
    frame rate alone costs."""
    from tdmm_lm.benchmark import metrics as M
    from tdmm_lm.motion.ops import resample
    motions = [bench.fit(resample(resample(r, fps), bench.cfg.fps)) for r in bench.references]
    norm = bench.extractor.normalizer
    fid = M.frechet_distance(*bench.gt_stats, *M.activation_statistics(bench.extractor.embed_motions(motions)))
    ffd = M.frame_frechet([norm.normalize(m.data) for m in motions],
                          [norm.normalize(r.data) for r in bench.references])
    return {"fid": {"mean": fid, "ci95": 0.0}, "top3": None, "frame_fd": {"mean": ffd, "ci95": 0.0},
            **motion_measures(bench, motions)}


@torch.no_grad()
def denoiser_probe(run: str, dataset: str) -> dict[str, float]:
    """x0 MSE of the run's model vs returning the input, at ``PROBE_TIMESTEPS``."""
    from tdmm_lm.baselines.generator import load_model
    from tdmm_lm.baselines.mdm.diffusion import add_noise
    from tdmm_lm.baselines.mdm.generator import MDMGenerator
    from tdmm_lm.data.schema import load_dataset_dict, split_motions
    from tdmm_lm.motion.ops import pad_batch, prepare_motion

    model = load_model("mdm", run)
    val = load_dataset_dict(dataset)["validation"]
    val = val.select(range(min(PROBE_CLIPS, len(val))))
    clips = [model.normalizer.normalize(prepare_motion(m, model.format, model.channels, model.fps)
                                        [:model.cfg.max_frames]) for m in split_motions(val)]
    x0, mask = (torch.from_numpy(a) for a in pad_batch(clips))
    m = mask[..., None].float()
    cond = MDMGenerator(model).encode(list(val["text"]))
    mse = lambda y: float(((y - x0) ** 2 * m).sum() / (m.sum() * x0.shape[-1]))  # noqa: E731
    g, out = torch.Generator().manual_seed(0), {}
    for t in PROBE_TIMESTEPS:
        a = model.alpha_bar[t]
        x_t = add_noise(x0, torch.randn(x0.shape, generator=g), a.repeat(len(x0)))
        out[f"t{t}_model"] = mse(model.denoise(x_t, torch.full((len(x0),), t), cond, mask.bool()))
        out[f"t{t}_input"] = mse(x_t / a.sqrt())
    return out


def run_info(run: str) -> dict:
    state = json.loads((Path(run) / "last" / "trainer_state.json").read_text())
    model = json.loads((Path(resolved(ModelEntry("mdm", run)).checkpoint) / "config.json").read_text())["mdm"]
    return {"steps": state["step"], "train_seconds": round(state["train_seconds"], 1),
            "input_skip": model.get("input_skip", False), "guidance_scale": model["guidance_scale"],
            "seed": yaml.safe_load(Path(run, "config.yaml").read_text())["train"]["seed"]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", required=True, help="the FaceScript DatasetDict (with test/validation)")
    p.add_argument("--extractor", required=True, help="benchmark extractor folder")
    p.add_argument("--run", action="append", required=True, metavar="LABEL=RUN",
                   help="an MDM training run; repeat (same label = another seed)")
    p.add_argument("--t2m-gpt", default="", help="a T2M-GPT checkpoint to compare with")
    p.add_argument("--limit", type=int, default=96)
    p.add_argument("--replications", type=int, default=3)
    p.add_argument("--cache-dir", default="eval/cache/mdm_sampling")
    p.add_argument("--out", default=str(ROOT / "eval/results/mdm_sampling"))
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    runs = [tuple(r.split("=", 1)) for r in args.run]

    rows, probes, infos = [], {}, {}
    for label, run in runs:
        infos[run] = {"label": label, **run_info(run)}
        probes[run] = denoiser_probe(run, args.dataset)
        print(run, infos[run], probes[run], flush=True)
    for split in ("validation", "test"):
        cfg = BenchmarkConfig(name="facescript", dataset=args.dataset, split=split, max_frames=180,
                              extractor=args.extractor, limit=args.limit,
                              replications=args.replications, detail_replications=0,
                              cache_dir=f"{args.cache_dir}/{split}",
                              metrics=["fid", "r_precision", "frame_fd"],
                              generators=[{"name": "ground-truth"}])
        bench = Benchmark(cfg)
        entries = [("ground-truth", "", ModelEntry("ground-truth")),
                   ("random-train", "", ModelEntry("random-train"))]
        if args.t2m_gpt:
            entries.append(("t2m-gpt", args.t2m_gpt, ModelEntry("t2m-gpt", args.t2m_gpt)))
        entries += [(label, run, ModelEntry("mdm", run, {"guidance": g}, f"{Path(run).name} g{g}"))
                    for label, run in runs for g in GUIDANCE]
        rows.append({"split": split, "label": "ground-truth via 10 fps", "run": "", "guidance": None,
                     **round_trip(bench, 10.0)})
        for label, run, entry in entries:
            scores = score_generator(bench, entry, log=lambda *a: None)
            motions = generations(bench, resolved(entry), [cfg.seed], log=lambda *a: None)[0]
            row = {"split": split, "label": label, "run": run, "guidance": entry.options.get("guidance"),
                   **{k: {"mean": scores[k]["mean"], "ci95": scores[k]["ci95"]}
                      for k in ("fid", "top3", "frame_fd")},
                   **motion_measures(bench, motions)}
            rows.append(row)
            print(split, entry.label, {k: round(v["mean"], 3) if isinstance(v, dict) else v
                                       for k, v in row.items() if k not in ("split", "run")}, flush=True)

    results = {"dataset": args.dataset, "extractor": args.extractor, "limit": args.limit,
               "replications": args.replications, "runs": infos, "denoiser_probe": probes,
               "rows": rows}
    write_result(args.out, results, markdown(results))
    print(f"wrote {args.out}.md/.json")
    return 0


def _mean_ci(rows: list[dict], key: str) -> str:
    """One row's ``mean ± ci``, or the runs' values joined by '/' (one per training seed)."""
    if rows[0][key] is None:
        return "-"
    if len(rows) == 1:
        return f"{rows[0][key]['mean']:.3f} ± {rows[0][key]['ci95']:.3f}"
    return " / ".join(f"{r[key]['mean']:.2f}" for r in rows)


def markdown(res: dict) -> str:
    md = ["# MDM at the quickstart budget: what was wrong, before and after\n",
          f"FaceScript `{res['dataset']}` (first {res['limit']} clips of each split), extractor "
          f"`{res['extractor']}`, {res['replications']} replications (mean ± 1.96·std/√reps for "
          "one model; for MDM one value per training seed, separated by '/'). Every MDM run: "
          "1600 steps, at most 2.5 minutes (the quickstart preset), batch 16, 2 x 96 at 10 fps, "
          "50 DDIM steps. *before*: the plain x0 head (the config as it was); *after*: "
          "`input_skip: true`. Guidance 2.5 was the config's default, 1.0 is the new one.\n",
          "Jitter, within-clip std and spread are ratios to the ground truth (1 = like the data; "
          "the ground truth's jitter in benchmark-normalised units is given in its row).\n"]
    for split in ("validation", "test"):
        md += [f"## {split.capitalize()} split\n",
               "| model | guidance | FID ↓ | R-prec top-3 ↑ | Frame FD ↓ | jitter | within-clip std "
               "| spread |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
        rows = [r for r in res["rows"] if r["split"] == split]
        groups: dict[tuple, list] = {}
        for r in rows:
            groups.setdefault((r["label"], r["guidance"]), []).append(r)
        for (label, g), rs in groups.items():
            jit = (f"{rs[0]['jitter']:.4f} (abs.)" if label == "ground-truth"
                   else " / ".join(f"{r['jitter_ratio']:.2f}" for r in rs))
            md.append(f"| {label} | {'' if g is None else g} | {_mean_ci(rs, 'fid')} | "
                      f"{_mean_ci(rs, 'top3')} | {_mean_ci(rs, 'frame_fd')} | {jit} | "
                      + " / ".join(f"{r['within_ratio']:.2f}" for r in rs) + " | "
                      + " / ".join(f"{r['spread_ratio']:.2f}" for r in rs) + " |")
        md.append("")
    md += ["## The denoiser on validation clips\n",
           "x0 MSE (model's normalised units) of the trained model and of returning the noisy "
           "input (`x_t / sqrt(alpha_bar)`), first 64 validation clips, one noise draw.\n",
           "| run | label | seed | steps | train s | t=0 model | t=0 input | t=200 model | t=200 input |",
           "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for run, info in res["runs"].items():
        pr = res["denoiser_probe"][run]
        md.append(f"| `{run}` | {info['label']} | {info['seed']} | {info['steps']} | "
                  f"{info['train_seconds']:.0f} | {pr['t0_model']:.3f} | {pr['t0_input']:.3f} | "
                  f"{pr['t200_model']:.3f} | {pr['t200_input']:.3f} |")
    md += ["", *findings(res)]
    return "\n".join(md)


def findings(res: dict) -> list[str]:
    """What the tables say, with their numbers (test split, training seed 0 first)."""
    def get(label, g, key, split="test"):
        vals = [r[key] for r in res["rows"] if r["split"] == split and r["label"] == label
                and r["guidance"] == g]
        return " / ".join(f"{(v['mean'] if isinstance(v, dict) else v):.2f}" for v in vals)
    probe = list(res["denoiser_probe"].values())
    return [
        "## Findings\n",
        "- **The sampler is exact**: `tests/baselines/test_mdm_sampling.py` drives `MDM.sample` "
        "with the closed-form denoiser of Gaussian data and recovers its mean, spread and frame "
        "independence (DDIM 50 and 1000 steps, DDPM 1000 steps, denormalised); shifting the "
        "timestep, scaling the initial noise or skipping the denormalisation fails it. Guidance "
        "with equal branches changes nothing; the null condition is the zero vector in training "
        "and sampling; the normaliser is the training split's, stored in the checkpoint; the "
        "saved weights are the EMA weights the validation chose.",
        f"- **The frame rate is not it**: the references through 10 fps and back score FID "
        f"{get('ground-truth via 10 fps', None, 'fid')} and Frame FD "
        f"{get('ground-truth via 10 fps', None, 'frame_fd')} (jitter ratio "
        f"{get('ground-truth via 10 fps', None, 'jitter_ratio')}).",
        f"- **What was wrong (before)**: the plain x0 head never learned to use its input. At "
        f"t = 0 (noise std 0.006) its x0 error is {probe[0]['t0_model']:.3f}, where returning the "
        f"input scores {probe[0]['t0_input']:.5f}, and barely differs from its error at t = 200 "
        f"({probe[0]['t200_model']:.3f}): it answers every noise level with the prompt's mean "
        "pose. Samples hold one pose per clip: within-clip std "
        f"{get('before', 1.0, 'within_ratio')} of the data's, frame-to-frame change "
        f"{get('before', 1.0, 'jitter_ratio')} of it (too smooth, not jittery). Guidance 2.5 "
        f"then pushes those poses outwards: spread {get('before', 2.5, 'spread_ratio')} of the "
        f"data's (Frame FD {get('before', 2.5, 'frame_fd')}; {get('before', 1.0, 'frame_fd')} "
        "at guidance 1).",
        "- **The fix (after)**: `input_skip` (x0 = sqrt(a) x_t + sqrt(1-a) F, EDM's c_skip/c_out "
        "for unit-variance data; still an x0 estimate with MDM's x0 loss) and guidance 1.0. FID "
        f"{get('before', 2.5, 'fid')} → {get('after', 1.0, 'fid')}, Frame FD "
        f"{get('before', 2.5, 'frame_fd')} → {get('after', 1.0, 'frame_fd')}, R-precision top-3 "
        f"{get('before', 2.5, 'top3')} → {get('after', 1.0, 'top3')} (test split; T2M-GPT: FID "
        f"{get('t2m-gpt', None, 'fid')}, Frame FD {get('t2m-gpt', None, 'frame_fd')}, top-3 "
        f"{get('t2m-gpt', None, 'top3')}). Guidance 1 was chosen on the validation split, where "
        "2.5 is worse on FID and Frame FD for both seeds; R-precision does not improve: guidance "
        f"2.5 keeps a little more of the text (test top-3 {get('after', 2.5, 'top3')}) at FID "
        f"{get('after', 2.5, 'fid')} and Frame FD {get('after', 2.5, 'frame_fd')}. For the "
        "plain head guidance 1 alone fixes the spread and the Frame FD but not the FID: "
        "the held poses remain.",
        "- **What remains**: the after-model passes the input through at low noise but has not "
        "learned to remove noise there either (t = 200 error "
        f"{probe[-1]['t200_model']:.3f} vs the input's {probe[-1]['t200_input']:.3f}), so samples "
        f"keep some diffusion noise: jitter {get('after', 1.0, 'jitter_ratio')} of the data's "
        "(the within-clip std above 1 is that noise). Two training seeds differ by up to 2x in "
        "FID: one run is not a result.",
        "- **Tried and left out** (one-off runs at the same budget, guidance 1, not rerun by "
        "this script): loss weighted min(SNR, 5) with the skip: jitter 0.92 of the data's but "
        "validation FID 25.6 / 41.3 (seeds 0 / 1), spread 0.49 / 0.45; the v-loss (EDM's "
        "weighting) with the skip, seed 0: test FID 25.6, spread 0.53; the skip with "
        "sigma_data 0.5, seed 0: validation FID 9.4; the timestep embedding added to every "
        "frame (plain head), seed 0: test FID 30.4; batch 32 with the skip (98 s of the 150 s "
        "allowed), seed 0: validation FID 8.3.",
    ]


if __name__ == "__main__":
    raise SystemExit(main())
