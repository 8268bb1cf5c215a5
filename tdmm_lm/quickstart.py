"""``tdmm-lm quickstart [--out DIR] [--preset configs/presets/tiny.yaml]``: the whole pipeline on
the embedded default.

FaceScript corpus (and its realism copy) → motion tokenizer → tokenised dataset → TDMM-LM
(its M2L and L2M halves trained apart, then joined) → MDM and T2M-GPT → benchmark extractor → benchmark table (LM vs baselines vs ground truth vs random, with
95% CIs) → rendered examples → ``REPORT.md``. Each stage writes into its own folder under
``--out`` and is skipped when its output already exists, so rerunning resumes where it stopped
(and the trainers resume inside a stage from their ``last/`` checkpoint).

Stages that do not need each other's output run side by side (``workers`` in the preset, 2 by
default: every trainer here uses one thread, so a 2-core machine does two stages at once):
the extractor trains while the tokenizer does, the L2M half and the baselines while the LM's
M2L half does, and the examples render while the benchmark runs.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable


from tdmm_lm.artifacts import DATASET, EXTRACTOR, MOTION_TOKENIZER, TDMM_LM, find_artifact
from tdmm_lm.atomic import atomic_write_text
from tdmm_lm.errors import TdmmError
from tdmm_lm.yaml_config import ConfigMixin, apply_overrides, from_mapping, load_config, read_yaml

REPO = Path(__file__).resolve().parents[1]
DEFAULT_PRESET = "configs/presets/tiny.yaml"
L2M_MARKER = "best/prefix/model.safetensors"   # what an l2m.train: prefix run leaves
CORPUS_KEYS = {"num_samples", "seed", "realism_copy"}


@dataclass
class StageConfig:
    """A stage's config file (relative to the repository) and dotted-key overrides."""

    config: str
    overrides: dict[str, Any] = field(default_factory=dict)

    def load(self, cls, paths: dict[str, str]):
        """The stage's config as ``cls``, with the preset's overrides, then ``paths`` (this
        run's folders), applied."""
        return load_config(cls, self.path(), {**self.overrides, **paths})

    def path(self) -> Path:
        path = Path(self.config)
        path = path if path.is_absolute() or path.exists() else REPO / path
        if not path.is_file():
            raise TdmmError(f"quickstart preset: config {self.config} not found (looked in "
                            f"{REPO}); run from a clone of the repository")
        return path


@dataclass
class Preset(ConfigMixin):
    """``configs/presets/*.yaml``: the budget of every stage (see that file's comments)."""

    corpus: dict[str, Any]
    vqvae: StageConfig
    lm: StageConfig           # the LM's M2L half (l2m.train: lm) ...
    lm_l2m: StageConfig       # ... and its prefix L2M half (l2m.train: prefix), trained side by side
    mdm: StageConfig
    t2m_gpt: StageConfig
    extractor: StageConfig
    benchmark: StageConfig
    examples: int = 3
    workers: int = 2          # stages run at once (each trainer uses one thread); 1 = in order

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise TdmmError(f"quickstart preset: workers must be >= 1, got {self.workers}")
        unknown = set(self.corpus) - CORPUS_KEYS
        if unknown:
            raise TdmmError(f"quickstart preset: corpus: unknown key(s) {sorted(unknown)}; "
                            f"use {sorted(CORPUS_KEYS)}")
        for name in ("vqvae", "lm", "lm_l2m", "mdm", "t2m_gpt", "extractor", "benchmark"):
            getattr(self, name).path()  # fail now, not after the first stages have trained


@dataclass
class Stage:
    name: str
    folder: Path              # what the stage writes
    run: Callable[[], Any]
    kind: str = ""            # done when the folder (or its best/) holds this artifact kind ...
    marker: str = ""          # ... or, for a stage that writes no artifact, this file in it
    needs: tuple[str, ...] = ()   # stages whose output this one reads

    def done(self) -> bool:
        if self.kind:
            return find_artifact(self.folder, self.kind) is not None
        return (self.folder / self.marker).is_file()


class Quickstart:
    """The pipeline's folders and stages; ``run()`` executes the ones not done yet."""

    def __init__(self, out: str | Path, preset: Preset, *, rig: str | None = None) -> None:
        self.out = Path(out)
        self.preset = preset
        self.rig = rig   # None: the resolved default, the packaged ICT-FaceKit face (rig_choice.py)
        o = self.out
        self.corpus, self.codes = o / "data" / "facescript", o / "data" / "facescript_codes"
        self.corpus_realism = o / "data" / "facescript_realism"
        self.vq, self.lm = o / "vq", o / "lm"
        self.lm_m2l, self.lm_l2m = o / "lm_m2l", o / "lm_l2m"
        self.text_features = o / "text_features" / "words.safetensors"
        self.mdm, self.t2m_gpt = o / "mdm", o / "t2m_gpt"
        self.extractor, self.benchmark = o / "extractor", o / "benchmark"
        self.examples = o / "examples"
        self.timings: dict[str, float] = {}
        self.progress = True      # trainers' progress bars (off when stages run side by side)

    # --- stages --------------------------------------------------------------------------
    def stages(self) -> list[Stage]:
        corpus, codes = ("FaceScript corpus",), ("tokenised dataset",)
        models = ("TDMM-LM", "MDM", "T2M-GPT")
        realism = (Stage("FaceScript realism copy", self.corpus_realism, self.make_realism_copy,
                         DATASET),) if self.realism_copy else ()
        tokenizer_data = corpus + tuple(s.name for s in realism)
        # listed in start order: when two stages are ready, the earlier (longer) one goes first
        return [
            Stage("FaceScript corpus", self.corpus, self.make_corpus, DATASET),
            *realism,
            Stage("motion tokenizer", self.vq, self.train_tokenizer, MOTION_TOKENIZER,
                  needs=tokenizer_data),
            Stage("tokenised dataset", self.codes, self.tokenize, DATASET, needs=("motion tokenizer",)),
            Stage("TDMM-LM M2L", self.lm_m2l, self.train_lm_m2l, TDMM_LM, needs=codes),
            Stage("TDMM-LM L2M", self.lm_l2m, self.train_lm_l2m, marker=L2M_MARKER,
                  needs=(*codes, "prompt word features")),
            Stage("MDM", self.mdm, self.train_mdm, "mdm", needs=codes),
            Stage("T2M-GPT", self.t2m_gpt, self.train_t2m_gpt, "t2m-gpt", needs=codes),
            Stage("benchmark extractor", self.extractor, self.train_extractor, EXTRACTOR, needs=corpus),
            Stage("prompt word features", self.text_features.parent, self.encode_prompts,
                  marker=self.text_features.name, needs=corpus),
            Stage("TDMM-LM", self.lm, self.attach_lm, TDMM_LM, needs=("TDMM-LM M2L", "TDMM-LM L2M")),
            Stage("benchmark", self.benchmark, self.run_benchmark, marker="results.json",
                  needs=(*models, "benchmark extractor")),
            Stage("rendered examples", self.examples, self.render_examples, marker="examples.json",
                  needs=models),
        ]

    @property
    def realism_copy(self) -> bool:
        return bool(self.preset.corpus.get("realism_copy", False))

    def make_corpus(self) -> None:
        self._synthesize(self.corpus)

    def make_realism_copy(self) -> None:
        """The corpus's scripts again with FaceScript's realism layer (resting offsets,
        co-activation, gaze, tracking-level noise), for the tokenizer's training mix."""
        self._synthesize(self.corpus_realism, "--realism")

    def _synthesize(self, out: Path, *flags: str) -> None:
        from tdmm_lm.data.recipe import SkipLog, run_recipe
        from tdmm_lm.data.recipe_args import add_facescript_args, add_output_args, facescript_config
        from tdmm_lm.data.sources import facescript_info, facescript_rows
        import argparse

        parser = argparse.ArgumentParser()
        add_facescript_args(parser)
        add_output_args(parser)
        c = self.preset.corpus
        args = parser.parse_args(["--out", str(out), "--overwrite",
                                  "--num-samples", str(c.get("num_samples", 2000)),
                                  "--seed", str(c.get("seed", 0)), *flags])
        config = facescript_config(args)
        log = SkipLog(strict=True)
        info = facescript_info(config)
        info.command = f"tdmm-lm quickstart --out {self.out}"
        run_recipe(args, facescript_rows(config, log), info, log)

    def train_tokenizer(self) -> None:
        from tdmm_lm.vqvae import VQConfig
        from tdmm_lm.vqvae.train import train

        data = {"data.dataset": str(self.corpus)}
        if self.realism_copy:   # the clean corpus stays primary: validation (best/) reads it
            data = {"data.dataset": "", "data.datasets": [
                {"path": str(self.corpus), "weight": 1.0},
                {"path": str(self.corpus_realism), "weight": 1.0}]}
        train(self.preset.vqvae.load(VQConfig, {**data, "train.out": str(self.vq)}), rig=self.rig,
              progress=self.progress)

    def tokenize(self) -> None:
        from tdmm_lm.data.schema import load_dataset_dict, save_dataset_dict
        from tdmm_lm.vqvae import MotionTokenizer
        from tdmm_lm.vqvae.dataset import tokenize_dataset

        tok = MotionTokenizer.from_pretrained(self.vq)
        save_dataset_dict(tokenize_dataset(load_dataset_dict(str(self.corpus)), tok), str(self.codes))

    def encode_prompts(self) -> None:
        """The L2M half's MiniLM word features of every prompt, while the tokenizer trains, and
        from the same pass the baselines' sentence vectors (their mean: MiniLM's own pooling),
        which MDM would otherwise spend minutes of its stage encoding again."""
        from tdmm_lm.baselines.config import BaselineConfig
        from tdmm_lm.baselines.train import text_bank
        from tdmm_lm.data.schema import load_dataset_dict
        from tdmm_lm.lm.config import LMConfig
        from tdmm_lm.lm.train import write_feature_file
        from tdmm_lm.text_encoder import DEFAULT

        self.text_features.parent.mkdir(parents=True, exist_ok=True)
        lm_cfg = self.preset.lm_l2m.load(LMConfig, {"l2m.feature_file": str(self.text_features)})
        features = write_feature_file(lm_cfg, str(self.corpus))
        dd = load_dataset_dict(str(self.corpus))
        for stage in (self.preset.mdm, self.preset.t2m_gpt):
            cfg = stage.load(BaselineConfig, {})
            if cfg.text_encoder == lm_cfg.l2m.text_features == DEFAULT:   # mean-pooled: shareable
                text_bank(cfg, dd, "cpu", encode=features.sentence_vectors)

    def train_lm_m2l(self) -> None:
        self._train_lm(self.preset.lm, self.lm_m2l, "lm")

    def train_lm_l2m(self) -> None:
        self._train_lm(self.preset.lm_l2m, self.lm_l2m, "prefix")

    def _train_lm(self, stage: StageConfig, out: Path, part: str) -> None:
        from tdmm_lm.lm.config import LMConfig
        from tdmm_lm.lm.train import train

        train(stage.load(LMConfig, {"data.dataset": str(self.codes),
                                    "data.motion_tokenizer": str(self.vq), "train.out": str(out),
                                    "l2m.mode": "prefix", "l2m.train": part,
                                    "l2m.feature_file": str(self.text_features)}),
              progress=self.progress)

    def attach_lm(self) -> None:
        from tdmm_lm.lm.attach import attach_l2m
        attach_l2m(self.lm_m2l, self.lm_l2m, self.lm)

    def train_mdm(self) -> None:
        self._train_baseline(self.preset.mdm, self.mdm)

    def train_t2m_gpt(self) -> None:
        self._train_baseline(self.preset.t2m_gpt, self.t2m_gpt)

    def _train_baseline(self, stage: StageConfig, out: Path) -> None:
        from tdmm_lm.baselines.config import BaselineConfig
        from tdmm_lm.baselines.train import train

        train(stage.load(BaselineConfig, {"data.dataset": str(self.codes), "train.out": str(out),
                                          "data.motion_tokenizer": str(self.vq)}),
              progress=self.progress)

    def train_extractor(self) -> None:
        from tdmm_lm.benchmark.extractor import ExtractorConfig, train_extractor

        train_extractor(self.preset.extractor.load(ExtractorConfig, {
            "data.dataset": str(self.corpus), "train.out": str(self.extractor)}),
            progress=self.progress)

    def run_benchmark(self) -> None:
        """The benchmark file's protocol on this run's data, with every model trained here."""
        import shutil

        from tdmm_lm.benchmark.config import BenchmarkConfig
        from tdmm_lm.benchmark.runner import run_benchmark, write_results

        stage = self.preset.benchmark
        raw = read_yaml(stage.path())
        raw.setdefault("name", "facescript")
        apply_overrides(raw, {**stage.overrides, "dataset": str(self.corpus),
                              "extractor": str(self.extractor), "motion_tokenizer": str(self.vq),
                              "rig": self.rig or "", "cache_dir": str(self.benchmark / "cache"),
                              "results_dir": str(self.benchmark)}, stage.config)
        raw["generators"] = ["ground-truth", "random-train",
                             {"name": "tdmm-lm", "checkpoint": str(self.lm)},
                             {"name": "mdm", "checkpoint": str(self.mdm)},
                             {"name": "t2m-gpt", "checkpoint": str(self.t2m_gpt)}]
        raw["describers"] = ["rule-based", {"name": "tdmm-lm", "label": "tdmm-lm (M2L)",
                                            "checkpoint": str(self.lm)}]
        cfg = from_mapping(BenchmarkConfig, raw, stage.config)
        js, md = write_results(cfg, run_benchmark(cfg), stem="results")
        # write_results nests under the benchmark's name: keep one stable place for the report
        shutil.copy(md, self.benchmark / "results.md")
        shutil.copy(js, self.benchmark / "results.json")

    def generators(self) -> dict[str, Path]:
        """Caption → training run of every trained generator."""
        return {"TDMM-LM": self.lm, "MDM": self.mdm, "T2M-GPT": self.t2m_gpt}

    def render_examples(self) -> None:
        """For a few test prompts with different primary actions: an MP4 of every generator's
        motion beside the reference, and a PNG sheet of their key frames and curves."""
        from tdmm_lm.data.facescript.judge import primary_action
        from tdmm_lm.data.schema import load_dataset_dict, row_motion
        from tdmm_lm.generators import load_generator
        from tdmm_lm.geometry import FaceGeometry
        from tdmm_lm.geometry.render import animation_frames, contact_sheet, write_animation
        from PIL import Image

        test = load_dataset_dict(str(self.corpus))["test"]
        rows, seen = [], set()
        for row in test:
            action = primary_action(row["attributes"])[0]
            if action not in seen:
                seen.add(action)
                rows.append(row)
            if len(rows) == self.preset.examples:
                break
        models = {name: load_generator(path) for name, path in self.generators().items()}
        descriptions = models["TDMM-LM"].describe([row_motion(r) for r in rows], seed=0)
        self.examples.mkdir(parents=True, exist_ok=True)
        geometry = None
        records = []
        for k, row in enumerate(rows):
            reference = row_motion(row)
            seconds = reference.num_frames / reference.fps
            motions = [reference]
            for name, model in models.items():
                motions.append(model.generate([row["text"]], [round(seconds * model.fps)], seed=k)[0])
            geometry = geometry or FaceGeometry.for_format(reference.format, reference.channels,
                                                           rig=self.rig)
            captions = ["reference"] + list(models)
            stem = self.examples / f"example_{k + 1}"
            # 15 fps and small panels: four faces side by side, rendered on a CPU in seconds
            frames = animation_frames(geometry, motions, fps=15, captions=captions, size=160)
            write_animation(frames, stem.with_suffix(".mp4"), 15)
            sheet = contact_sheet(geometry, motions, n=8, columns=8, size=128, captions=captions)
            Image.fromarray(sheet).save(stem.with_suffix(".png"))
            records.append({"prompt": row["text"], "id": row["id"], "seconds": round(seconds, 2),
                            "lm_description": descriptions[k],
                            "lm_description_check": description_check(descriptions[k],
                                                                      row["attributes"]),
                            "mp4": stem.with_suffix(".mp4").name, "png": stem.with_suffix(".png").name})
        atomic_write_text(self.examples / "examples.json", json.dumps(records, indent=2) + "\n")

    # --- driver --------------------------------------------------------------------------
    def run(self) -> Path:
        self.out.mkdir(parents=True, exist_ok=True)
        stages = self.stages()
        heads = {s.name: f"[{k}/{len(stages)}] {s.name}" for k, s in enumerate(stages, 1)}
        todo = []
        for stage in stages:
            if stage.done():
                print(f"{heads[stage.name]}: done already ({stage.folder})", flush=True)
            else:
                todo.append(stage)
        start = time.perf_counter()
        if self.preset.workers == 1 or len(todo) <= 1:
            for stage in todo:
                print(f"{heads[stage.name]} ...", flush=True)
                self._finished(stage, run_stage(self, stage.name), heads)
        else:
            self._run_side_by_side(todo, heads)
        if todo:
            self.timings["wall clock"] = time.perf_counter() - start
        self._save_timings()
        return self.write_report()

    def _run_side_by_side(self, todo: list[Stage], heads: dict[str, str]) -> None:
        """Up to ``preset.workers`` stages at once, each in its own process, every stage
        started as soon as the stages it needs are done."""
        import multiprocessing
        from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

        waiting, running = list(todo), {}
        pending = {s.name for s in todo}
        # spawn: a fresh interpreter per worker (no forked torch/OpenMP state)
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(self.preset.workers, mp_context=spawn) as pool:
            while waiting or running:
                for stage in [s for s in waiting if not pending & set(s.needs)]:
                    if len(running) == self.preset.workers:
                        break
                    print(f"{heads[stage.name]} ... (side by side, progress bars off)", flush=True)
                    running[pool.submit(run_stage, self, stage.name, progress=False)] = stage
                    waiting.remove(stage)
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    stage = running.pop(future)
                    if future.exception() is not None:
                        # say it now, not when the other stage ends (it resumes from its last/
                        # checkpoint on the next run)
                        for child in multiprocessing.active_children():
                            child.terminate()
                        pool.shutdown(wait=False, cancel_futures=True)
                        raise future.exception()
                    self._finished(stage, future.result(), heads)
                    pending.discard(stage.name)

    def _finished(self, stage: Stage, seconds: float, heads: dict[str, str]) -> None:
        if not stage.done():
            raise RuntimeError(f"stage {stage.name} finished without its output in {stage.folder}")
        self.timings[stage.name] = seconds
        self._save_timings()  # after every stage: a rerun reports the stages it skips
        print(f"{heads[stage.name]}: {seconds:.0f} s", flush=True)

    def _save_timings(self) -> None:
        path = self.out / "timings.json"
        old = json.loads(path.read_text()) if path.exists() else {}
        timings = {**old, **{k: round(v, 1) for k, v in self.timings.items()}}
        atomic_write_text(path, json.dumps(timings, indent=2) + "\n")

    def write_report(self) -> Path:
        """``REPORT.md``: what each stage made, the benchmark table, the examples, what next."""
        from tdmm_lm.provenance import environment

        env = environment()
        timings = json.loads((self.out / "timings.json").read_text())
        lines = [
            "# tdmm-lm quickstart", "",
            f"Built by `tdmm-lm quickstart --out {self.out}` on {env['machine']['cpu']} "
            f"({env['machine']['cores']} cores) "
            f"(commit `{env['commit']}`, torch {env['versions'].get('torch', '?')}). "
            "Every stage below is skipped on a rerun when its folder is complete.", "",
            "| stage | output | minutes |", "| --- | --- | --- |",
        ]
        for stage in self.stages():
            folder = stage.folder
            minutes = f"{timings[stage.name] / 60:.1f}" if stage.name in timings else "-"
            lines.append(f"| {stage.name} | [{folder.relative_to(self.out)}]({folder.relative_to(self.out)}) | {minutes} |")
        stage_minutes = sum(v for k, v in timings.items() if k != "wall clock") / 60
        total = timings.get("wall clock", stage_minutes * 60) / 60
        lines += ["", f"Total: {total:.1f} minutes of wall clock ({stage_minutes:.1f} stage-minutes; "
                  f"up to {self.preset.workers} stages side by side).", ""]
        table = self.benchmark / "results.md"
        if table.exists():  # the runner's tables, one heading level down, without its environment
            body = table.read_text().split("\n", 1)[1].split("## Environment")[0].strip()
            lines += ["## Benchmark", "", body.replace("\n## ", "\n### "), "",
                      "Full results with the environment: [benchmark/results.md](benchmark/results.md).", ""]
        examples = json.loads((self.examples / "examples.json").read_text())
        lines += ["## Examples (reference, TDMM-LM, MDM, T2M-GPT)", ""]
        for k, ex in enumerate(examples, 1):
            lines += [f"**{k}. {ex['prompt']}** ({ex['seconds']} s) — "
                      f"[video](examples/{ex['mp4']})", "",
                      f"TDMM-LM describes the reference motion as: *{ex['lm_description']}*", "",
                      f"Checked against the clip's script: {ex['lm_description_check']['summary']}", "",
                      f"![example {k}](examples/{ex['png']})", ""]
        lm, take = self.lm, "MY_TAKE.csv"
        lines += [
            "## Next", "", "```bash",
            f"tdmm-lm describe {take} --model {lm}                 # Live Link Face CSV or FLAME npz",
            f'tdmm-lm generate "a person smiles and then blinks" --model {lm} -o smile.mp4 --seconds 3',
            f"tdmm-lm chat --model {lm}                            # /load, questions, /generate, /save",
            f"tdmm-lm serve --model {lm}                           # web demo on http://127.0.0.1:7860",
            f"tdmm-lm publish llm {lm} --repo-id YOU/tdmm-lm-tiny --dry-run",
            "```", ""]
        report = self.out / "REPORT.md"
        atomic_write_text(report, "\n".join(lines))
        return report


def run_stage(quickstart: Quickstart, name: str, *, progress: bool = True) -> float:
    """Run one stage of ``quickstart`` (in this process or a worker's); returns its seconds."""
    quickstart.progress = progress
    stage = next(s for s in quickstart.stages() if s.name == name)
    start = time.perf_counter()
    stage.run()
    return time.perf_counter() - start


def description_check(description: str, attributes) -> dict[str, Any]:
    """How a description agrees with a clip's FaceScript attributes (the benchmark's parser):
    emotion, the scripted actions it names, head motion, and a one-line summary."""
    from tdmm_lm.data.facescript.parse import attribute_scores, parse_description

    attrs = json.loads(attributes) if isinstance(attributes, str) else attributes
    parsed = parse_description(description)
    scores = attribute_scores(parsed, attrs)
    scripted = [seg["action"] for seg in attrs["segments"]]
    named = [name for name, _ in parsed.actions]
    correct = bool(scores["emotion"] and scores["head_motion"] and scores["actions"] == 1.0
                   and scores["action_precision"] == 1.0)
    summary = (f"{'correct' if correct else 'wrong'}: emotion {parsed.emotion} "
               f"({'right' if scores['emotion'] else 'scripted: ' + attrs['emotion']}); "
               f"names {', '.join(named) or 'no action'} of scripted {', '.join(scripted)}; "
               f"head motion {'right' if scores['head_motion'] else 'wrong'}")
    return {"correct": correct, "emotion": bool(scores["emotion"]),
            "actions_named": scores["actions"], "action_precision": scores["action_precision"],
            "head_motion": bool(scores["head_motion"]), "summary": summary}
