"""Score every generator and describer of a benchmark file on one protocol, with 95% CIs.

    tdmm-lm eval run eval/benchmarks/facescript.yaml [--only ground-truth,mdm] [--replications 5]

Protocol (HumanML3D / Express4D, see eval/README.md): the split's motions are resampled to the
benchmark fps and cut to ``max_frames``; each generator gets every clip's text and reference
length (converted to its own fps) once per replication, with seed ``seed + r``; its motions are
resampled back to the benchmark fps and embedded by the extractor. Per replication: rows are
shuffled with that seed, R-precision and MM-Dist use consecutive batches of 32, FID compares
with the ground-truth motions' statistics, Diversity draws ``diversity_times`` pairs.
Multimodality uses the replications themselves as the repeated generations of each text
(R = ``replications`` > ``mm_times`` per text). Every number is then reported as mean ± 1.96
std / sqrt(replications).

Only the ``MotionGenerator`` / ``MotionDescriber`` protocols are used: models are built through
``tdmm_lm.generators`` and never opened here.
"""

from __future__ import annotations

import datetime
import json
import time
from collections import Counter
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from tdmm_lm.benchmark import cache as C
from tdmm_lm.benchmark import metrics as M
from tdmm_lm.benchmark.config import BenchmarkConfig, ModelEntry
from tdmm_lm.errors import TdmmError
from tdmm_lm.motion.ops import resample
from tdmm_lm.motion.types import Motion

SEED_STRIDE = 100_000  # > batches per replication
DETECTOR_VERSION = 1   # bump when the detectors change: cached verdicts are then recomputed


class Benchmark:
    """The fixed part of a run: references, prompts, lengths, the extractor and its features."""

    def __init__(self, cfg: BenchmarkConfig) -> None:
        from tdmm_lm.benchmark.extractor import (TextMotionExtractor, fit_normalizer,
                                                 split_fingerprint, split_motions_at)
        from tdmm_lm.data.schema import load_dataset_dict

        self.cfg = cfg
        dd = load_dataset_dict(cfg.dataset)
        if cfg.split not in dd:
            raise TdmmError(f"{cfg.dataset}: no split {cfg.split!r} (has {', '.join(dd)})")
        split = dd[cfg.split]
        if cfg.limit:
            split = split.select(range(min(cfg.limit, len(split))))
        if cfg.wants("diversity") and len(split) <= cfg.diversity_times:
            raise TdmmError(f"{cfg.dataset}: {len(split)} clips in split {cfg.split!r}"
                            f"{f' (limit {cfg.limit})' if cfg.limit else ''}, but Diversity draws "
                            f"{cfg.diversity_times} distinct clips: use more than {cfg.diversity_times}")
        formats = set(split.unique("format"))
        if formats != {cfg.format}:
            raise TdmmError(f"{cfg.dataset}: split {cfg.split!r} holds {sorted(formats)} motion; "
                            f"the benchmark says format {cfg.format!r}")
        self.extractor = TextMotionExtractor.load(cfg.extractor)
        ex = self.extractor
        if ex.format != cfg.format or abs(ex.fps - cfg.fps) > 1e-6:
            raise TdmmError(f"{cfg.extractor}: the extractor reads {ex.format} at {ex.fps:g} fps; "
                            f"the benchmark is {cfg.format} at {cfg.fps:g} fps")
        if cfg.max_frames > ex.config.model.max_frames:
            raise TdmmError(f"benchmark max_frames {cfg.max_frames} exceeds the extractor's "
                            f"{ex.config.model.max_frames}")
        train = dd["train"] if "train" in dd else None
        if train is None:
            raise TdmmError(f"{cfg.dataset}: no train split to check the extractor against")
        ex.check_dataset(cfg.dataset, split_fingerprint(train),
                         fit_normalizer(split_motions_at(train, cfg.fps)))
        self.references = [self.fit(m) for m in split_motions_at(split, None)]
        self.texts = list(split["text"])
        self.all_texts = [list(t) for t in split["texts"]]
        self.attributes = list(split["attributes"])
        self.lengths = [m.num_frames for m in self.references]
        self.text_emb = ex.embed_texts(self.texts)
        self.gt_emb = ex.embed_motions(self.references)
        self.gt_stats = M.activation_statistics(self.gt_emb)
        self.channels = self.references[0].channels
        self._geometry = self._tokenizer = None
        self._ref_codes = None
        self.prompt_key = C.cache_key(texts=self.texts, lengths=self.lengths, fps=cfg.fps,
                                      format=cfg.format)

    def fit(self, motion: Motion) -> Motion:
        """A motion at the benchmark's fps, cut to ``max_frames``."""
        if motion.format.name != self.cfg.format:
            raise TdmmError(f"got {motion.format.name} motion in a {self.cfg.format} benchmark")
        if abs(motion.fps - self.cfg.fps) > 1e-6:
            motion = resample(motion, self.cfg.fps)
        return motion.replace(data=motion.data[:self.cfg.max_frames])

    def order(self, seed: int) -> np.ndarray:
        """The row order of replication ``seed`` (the reference's shuffled loader)."""
        return np.random.default_rng([self.cfg.seed, seed, 1]).permutation(len(self.texts))

    # -- lazily built helpers for the per-generation measures --
    @property
    def geometry(self):
        if self._geometry is None:
            from tdmm_lm.geometry import FaceGeometry
            self._geometry = FaceGeometry.for_format(self.cfg.format, self.channels,
                                                     rig=self.cfg.rig or None,
                                                     flame_model=self.cfg.flame_model or None)
        return self._geometry

    @property
    def tokenizer(self):
        if self._tokenizer is None:
            from tdmm_lm.vqvae.tokenizer import MotionTokenizer
            try:
                self._tokenizer = MotionTokenizer.from_pretrained(self.cfg.motion_tokenizer)
            except TdmmError as e:
                raise TdmmError(f"motion_tokenizer: {e} (or set motion_tokenizer: \"\" to skip token accuracy)"
                                ) from None
        return self._tokenizer

    @property
    def reference_codes(self) -> list[list[int]]:
        """The references' tokens (encoded here, so they match the tokenizer by construction)."""
        if self._ref_codes is None:
            self._ref_codes = self.tokenizer.encode_batch(self.references)
        return self._ref_codes

    @property
    def scripted(self) -> bool:
        """Whether the split carries FaceScript scripts (``segments``) for the detectors."""
        return any("segments" in json.loads(a or "{}") for a in self.attributes[:20])


# ---- generators -------------------------------------------------------------------------------

def resolved(entry: ModelEntry) -> ModelEntry:
    """``entry`` with its checkpoint as the model folder (a training run's ``best/``, a Hub
    snapshot; see ``tdmm_lm.artifacts``); one line naming the model when it cannot be found or
    holds another kind of model."""
    if not entry.checkpoint:
        return entry
    from tdmm_lm.artifacts import resolve_artifact
    try:
        folder = resolve_artifact(entry.checkpoint, entry.name)
    except TdmmError as e:
        raise TdmmError(f"{entry.label}: {e} (train it first, or leave it out with --only)"
                        ) from None
    return replace(entry, checkpoint=str(folder))


def _model_key(bench: Benchmark, entry: ModelEntry) -> str:
    """Cache key of one model's outputs on the benchmark's prompts: retraining the checkpoint
    in place changes it."""
    return C.cache_key(prompts=bench.prompt_key, model=asdict(entry),
                       checkpoint_files=C.path_state(entry.checkpoint))


def _context(cfg: BenchmarkConfig, entry: ModelEntry):
    from tdmm_lm.generators import BuildContext
    return BuildContext(dataset=cfg.dataset, split=cfg.split, options=dict(entry.options))


def generations(bench: Benchmark, entry: ModelEntry, seeds: Sequence[int],
                log=print) -> list[list[Motion]]:
    """The generator's motions for every seed, from the cache or generated (and cached)."""
    from tdmm_lm.generators import build_generator, generate_all

    cfg = bench.cfg
    folder = Path(cfg.cache_dir) / cfg.name / entry.label
    key = _model_key(bench, entry)
    out, generator = [], None
    for seed in seeds:
        path = folder / f"{seed}.npz"
        motions = C.load_motions(path, key)
        if motions is None:
            if generator is None:
                generator = build_generator(entry.name, entry.checkpoint, _context(cfg, entry))
            gen_fps = float(getattr(generator, "fps", cfg.fps) or cfg.fps)
            lengths = [max(1, round(n * gen_fps / cfg.fps)) for n in bench.lengths]
            t = time.perf_counter()
            # generate_all seeds batch b with seed + b: space replications apart so that no
            # two replications share a batch seed
            made = generate_all(generator, bench.texts, lengths, seed=seed * SEED_STRIDE,
                                batch_size=cfg.batch_size)
            if len(made) != len(bench.texts):
                raise TdmmError(f"{entry.label}: returned {len(made)} motions for "
                                f"{len(bench.texts)} prompts")
            motions = [bench.fit(m) for m in made]
            C.save_motions(path, motions, key)
            log(f"{entry.label}: generated seed {seed} in {time.perf_counter() - t:.1f} s")
        out.append(motions)
    return out


def _judge(bench: Benchmark, motions: list[Motion]) -> dict[str, float]:
    """Share of each prompt's scripted actions the detectors find in the generated motion
    (actions the detectors cannot judge are left out; clips with none left are skipped)."""
    from tdmm_lm.benchmark.detectors import detect_many, scripted_actions
    try:
        found = [{(e.action, e.side) for e in ev} for ev in detect_many(motions)]
    except TdmmError:   # a layout the detectors cannot read (say so by leaving the column out)
        return {}
    scores = []
    for f, attrs in zip(found, bench.attributes):
        asked = scripted_actions(attrs)
        if asked:
            scores.append(len(asked & f) / len(asked))
    return {"judge": float(np.mean(scores)) if scores else float("nan")}


def per_generation(bench: Benchmark, motions: list[Motion]) -> dict[str, float]:
    """Measures of one replication that compare each motion with its own reference."""
    cfg = bench.cfg
    gen = [m.data for m in motions]
    ref = [m.data for m in bench.references]
    out: dict[str, float] = {}
    if cfg.wants("parameter_l2"):
        l2 = M.parameter_l2(gen, ref, bench.channels)
        out.update(l2_expression=l2["expression"], l2_pose=l2["pose"])
    if cfg.wants("frame_fd"):
        norm = bench.extractor.normalizer
        out["frame_fd"] = M.frame_frechet([norm.normalize(g) for g in gen],
                                          [norm.normalize(r) for r in ref])
    if cfg.wants("token_accuracy") and cfg.motion_tokenizer:
        codes = bench.tokenizer.encode_batch(motions)
        out["token_accuracy"] = M.token_accuracy(codes, bench.reference_codes)
    if cfg.wants("vertex"):
        out.update(M.vertex_errors(bench.geometry, gen, ref))
    if cfg.wants("judge") and bench.scripted:
        out.update(_judge(bench, motions))
    return out


def score_generator(bench: Benchmark, entry: ModelEntry, log=print) -> dict[str, Any]:
    """Every motion metric of one generator, per replication and as mean/CI."""
    cfg = bench.cfg
    entry = resolved(entry)
    seeds = [cfg.seed + r for r in range(cfg.replications)]
    runs = generations(bench, entry, seeds, log)
    emb = np.stack([bench.extractor.embed_motions(m) for m in runs], axis=1)   # [N, R, E]
    gen_key = _model_key(bench, entry)
    settings = C.cache_key(metrics=sorted(cfg.metrics), tokenizer=C.path_state(cfg.motion_tokenizer),
                           rig=C.path_state(cfg.rig),
                           flame=C.path_state(cfg.flame_model), detectors=DETECTOR_VERSION,
                           extractor=bench.extractor.meta.get("fingerprint"))
    per_rep: dict[str, list[float]] = {}
    memo: dict[str, dict[str, float]] = {}   # identical generations (a deterministic model)
    for r, (seed, motions) in enumerate(zip(seeds, runs)):
        rng = np.random.default_rng([cfg.seed, seed, 2])
        order = bench.order(seed)
        t, m = bench.text_emb[order], emb[order, r]
        values: dict[str, float] = {}
        if cfg.wants("r_precision"):
            top = M.r_precision(t, m, top_k=3, batch_size=cfg.batch_size)
            values.update(top1=top[0], top2=top[1], top3=top[2])
        if cfg.wants("matching"):
            values["matching"] = M.matching_score(t, m, cfg.batch_size)
        if cfg.wants("fid"):
            values["fid"] = M.frechet_distance(*bench.gt_stats, *M.activation_statistics(emb[:, r]))
        if cfg.wants("diversity"):
            values["diversity"] = M.diversity(emb[:, r], cfg.diversity_times, rng)
        if cfg.wants("multimodality") and cfg.replications > cfg.mm_times:
            values["multimodality"] = M.multimodality(emb, cfg.mm_times, rng)
        if r < cfg.detail_count:
            path = Path(cfg.cache_dir) / cfg.name / entry.label / f"{seed}.json"
            key = C.cache_key(generation=gen_key, settings=settings)
            detail = C.load_json(path, key)
            if detail is None:
                content = C.motions_digest(motions)
                detail = memo.get(content) or per_generation(bench, motions)
                memo[content] = detail
                C.save_json(path, key, detail)
            values.update(detail)
        for k, v in values.items():
            per_rep.setdefault(k, []).append(float(v))
    return _summarise(per_rep)


def _summarise(per_rep: dict[str, list[float]]) -> dict[str, Any]:
    out = {}
    for k, values in per_rep.items():
        mean, ci = M.replicate(values)
        out[k] = {"mean": float(mean), "ci95": float(ci), "values": values}
    return out


# ---- describers -------------------------------------------------------------------------------

def score_describer(bench: Benchmark, entry: ModelEntry, log=print) -> dict[str, Any]:
    """Description metrics of one describer over the replications (descriptions cached)."""
    from tdmm_lm.benchmark import text_metrics as T
    from tdmm_lm.generators import build_describer

    cfg = bench.cfg
    entry = resolved(entry)
    folder = Path(cfg.cache_dir) / cfg.name / "describers" / entry.label
    gen_key = _model_key(bench, entry)
    key = C.cache_key(generation=gen_key, metrics=sorted(cfg.metrics))
    describer, per_rep, memo = None, {}, {}
    for seed in (cfg.seed + r for r in range(cfg.replications)):
        # the descriptions (the describer's generations) and their scores are cached apart
        texts = (C.load_json(folder / f"{seed}.descriptions.json", gen_key) or {}).get("texts")
        if texts is None:
            if describer is None:
                describer = build_describer(entry.name, entry.checkpoint, _context(cfg, entry))
            t = time.perf_counter()
            texts = []
            for i in range(0, len(bench.references), cfg.batch_size):
                texts += describer.describe(bench.references[i:i + cfg.batch_size], seed=seed)
            C.save_json(folder / f"{seed}.descriptions.json", gen_key, {"texts": texts})
            log(f"{entry.label}: described seed {seed} in {time.perf_counter() - t:.1f} s")
        values = C.load_json(folder / f"{seed}.json", key)
        if values is None:
            content = C.cache_key(texts=texts)     # a deterministic describer repeats itself
            if content not in memo:
                memo[content] = _text_scores(bench, texts, T)
            values = memo[content]
            C.save_json(folder / f"{seed}.json", key, values)
        values = {"descriptions": texts, **values}
        order = bench.order(seed)
        scores = {k: v for k, v in values.items() if k != "descriptions" and v is not None}
        if cfg.wants("text_r_precision"):
            emb = bench.extractor.embed_texts([values["descriptions"][i] for i in order])
            top = M.r_precision(emb, bench.gt_emb[order], 3, cfg.batch_size)
            scores.update(top1=top[0], top2=top[1], top3=top[2],
                          matching=M.matching_score(emb, bench.gt_emb[order], cfg.batch_size))
        for k, v in scores.items():
            per_rep.setdefault(k, []).append(float(v))
    return _summarise(per_rep)


def _text_scores(bench: Benchmark, texts: list[str], T) -> dict[str, float | None]:
    cfg = bench.cfg
    out: dict[str, float | None] = {}
    if any(cfg.wants(m) for m in ("bleu", "rouge_l", "cider")):
        out.update(T.caption_scores(texts, bench.all_texts))
    if cfg.wants("bertscore"):
        out["bertscore"] = T.bertscore(texts, bench.all_texts)
    if cfg.wants("attributes") and bench.scripted:
        out.update(T.attribute_correctness(texts, bench.attributes))
    return out


# ---- the run ----------------------------------------------------------------------------------

def run_benchmark(cfg: BenchmarkConfig, *, log=print) -> dict[str, Any]:
    """Score every model of ``cfg``; returns the results dict (see ``write_results``)."""
    import torch
    from threadpoolctl import threadpool_limits
    torch.set_num_threads(cfg.num_threads)
    # BLAS threads too: sqrtm of a 128x128 matrix took 10x longer with 2 OpenBLAS threads than
    # with 1 on a 2-core machine that other jobs also use
    with threadpool_limits(cfg.num_threads):
        return _run(cfg, log)


def _run(cfg: BenchmarkConfig, log) -> dict[str, Any]:
    t0 = time.perf_counter()
    # every model found before any work, not after an hour
    generators, describers = [resolved(e) for e in cfg.generators], [resolved(e) for e in cfg.describers]
    bench = Benchmark(cfg)
    if cfg.motion_tokenizer and cfg.wants("token_accuracy"):
        bench.reference_codes   # a wrong tokenizer path fails now, not after the generations
    log(f"{cfg.name}: {len(bench.texts)} clips of {cfg.dataset}:{cfg.split} at {cfg.fps:g} fps, "
        f"{cfg.replications} replications")
    results: dict[str, Any] = {"benchmark": asdict(cfg) | {
        "generators": [asdict(g) for g in cfg.generators],
        "describers": [asdict(d) for d in cfg.describers]},
        "clips": len(bench.texts), "extractor": bench.extractor.meta,
        # prompts several clips share: the ground-truth generator returns one clip for all
        "shared_prompts": sum(n for n in Counter(bench.texts).values() if n > 1),
        "generators": {}, "describers": {}}
    for entry in generators:
        t = time.perf_counter()
        results["generators"][entry.label] = score_generator(bench, entry, log)
        log(f"{entry.label}: scored in {time.perf_counter() - t:.1f} s")
    for entry in describers:
        t = time.perf_counter()
        results["describers"][entry.label] = score_describer(bench, entry, log)
        log(f"{entry.label}: scored in {time.perf_counter() - t:.1f} s")
    if bench._geometry is not None:
        results["geometry"] = type(bench.geometry).__name__ + (f" ({cfg.rig})" if cfg.rig else
                                                               " (resolved default rig)")
    results["seconds"] = round(time.perf_counter() - t0, 1)
    return results


def write_results(cfg: BenchmarkConfig, results: dict[str, Any], stem: str | None = None
                  ) -> tuple[Path, Path]:
    """``<results_dir>/<benchmark>/<UTC date-time>.{md,json}`` with the environment."""
    from tdmm_lm.benchmark.report import markdown
    from tdmm_lm.provenance import write_result
    stem = stem or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d_%H%M%S")
    return write_result(Path(cfg.results_dir) / cfg.name / stem, results, markdown(cfg, results))
