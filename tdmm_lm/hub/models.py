"""Stagers for models: the motion tokenizer, the TDMM-LM and the baselines.

Each writes the repository folder with the model's own ``save_pretrained``, records what the source
model does on a fixed probe, and returns a ``verify`` that reloads the folder the way a user would
and demands the same outputs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from tdmm_lm.artifacts import (GENERATOR, GENERATOR_FILE, MOTION_TOKENIZER, REPO_ID, TDMM_LM,
                               artifact_kind, resolve_artifact)
from tdmm_lm.errors import TdmmError
from tdmm_lm.hub.card import (ModelCardText, card_data, copy_configs, render_model_card,
                               training_text)
from tdmm_lm.hub.config import PublishConfig, Staged
from tdmm_lm.hub.files import copy_file
from tdmm_lm.hub.results import evaluation_section

PROBE_PROMPT = "a person smiles and then blinks"
PROBE_QUESTION = "what is the person doing?"
PROBE_SECONDS = 2.0


def probe_motion(tokenizer, seconds: float = PROBE_SECONDS):
    """A fixed motion in ``tokenizer``'s format and channels: the decoding of a fixed code
    pattern, so every format gets a valid input without data files."""
    steps = max(1, round(seconds * tokenizer.fps / tokenizer.downsample))
    k, levels = tokenizer.codebook_size, tokenizer.levels
    codes = [level * k + (7 * t + 3 * level) % k for t in range(steps) for level in range(levels)]
    return tokenizer.decode(codes)


def stage_tokenizer(config: PublishConfig, folder: Path) -> Staged:
    from tdmm_lm.vqvae.tokenizer import MotionTokenizer

    src = resolve_artifact(config.source, MOTION_TOKENIZER)
    tok = MotionTokenizer.from_pretrained(str(src))
    tok.save_pretrained(str(folder))
    configs = ("config.yaml",)
    copy_configs(src, folder, configs + ("metrics.json",))
    probe = probe_motion(tok)
    codes = tok.encode(probe)
    decoded = tok.decode(codes).data

    def verify(path: Path) -> list[str]:
        again = MotionTokenizer.from_pretrained(str(path))
        _same_state(tok.state_dict(), again.state_dict(), path)
        if again.encode(probe) != codes or not np.array_equal(again.decode(codes).data, decoded):
            raise TdmmError(f"{path}: the reloaded tokenizer encodes or decodes the probe "
                            "differently from the source")
        return ["MotionTokenizer.from_pretrained reloads identical weights",
                f"encode + decode of a {probe.num_frames}-frame probe identical"]

    def readme(files: list[tuple[str, str]]) -> str:
        text = ModelCardText(
            title=f"Motion tokenizer {config.repo_id.split('/')[-1]}",
            summary=(f"A geometry-aware VQ-VAE that turns **{tok.format}** facial motion at "
                     f"{tok.fps:g} fps into {tok.tokens_per_second:g} tokens per second "
                     f"({tok.levels} residual level(s) x {tok.codebook_size} codes, "
                     f"{tok.downsample}x downsampling in time; vocabulary {tok.vocab_size}). "
                     "The Normalizer statistics travel in `model.safetensors`."),
            cli=(f"tdmm-lm vq encode take.csv --model {config.repo_id}\n"
                 f"tdmm-lm vq decode codes.txt --model {config.repo_id} -o decoded.csv"),
            python=(f"from tdmm_lm.motion import load\nfrom tdmm_lm.vqvae import MotionTokenizer\n\n"
                    f"tok = MotionTokenizer.from_pretrained(\"{config.repo_id}\")\n"
                    f"codes = tok.encode(load(\"take.csv\"))     # list[int] in [0, "
                    f"{tok.vocab_size})\nmotion = tok.decode(codes)"),
            training=training_text(src, configs), evaluation=evaluation_section(config),
            files=files)
        return render_model_card(card_data(config, ["vq-vae", "motion-tokenizer", tok.format]),
                                 text)

    return Staged(readme, verify)


def _same_motion(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal shapes and values up to float noise (the same code on the same CPU is exact; the
    tolerance only forgives kernels that sum in another order)."""
    return a.shape == b.shape and np.allclose(a, b, rtol=0, atol=1e-5)


def _same_state(a: dict, b: dict, where: Path) -> None:
    import torch
    if a.keys() != b.keys() or not all(torch.equal(a[k], b[k]) for k in a):
        raise TdmmError(f"{where}: the reloaded weights differ from the source")


# --- language model -------------------------------------------------------------------------------

def _lm_outputs(lm, probe) -> tuple[list[str], list[np.ndarray]]:
    """What the LM says about the probe motion (a description and a chat answer) and makes of
    the probe prompt, all with seed 0."""
    length = max(1, round(PROBE_SECONDS * lm.fps))
    texts = lm.describe([probe], seed=0) + [lm.answer(probe, PROBE_QUESTION, [], seed=0)]
    motions = lm.generate([PROBE_PROMPT], [length], seed=0)
    return texts, [m.data for m in motions]


def stage_llm(config: PublishConfig, folder: Path) -> Staged:
    from tdmm_lm.lm.tdmmlm import TDMMLM

    run = resolve_artifact(config.source, TDMM_LM)     # the run's best/ when given the run
    lm = TDMMLM.from_pretrained(str(run))
    lm.save_pretrained(folder)
    probe = probe_motion(lm.motion_tokenizer)
    texts, motions = _lm_outputs(lm, probe)
    tokenizer_checks = check_llm_tokenizer(folder, lm.motion_tokenizer.vocab_size)
    configs = ("config.yaml",)
    copy_configs(run, folder, configs + ("metrics.json",))

    def verify(path: Path) -> list[str]:
        again = TDMMLM.from_pretrained(str(path))
        texts2, motions2 = _lm_outputs(again, probe)
        if texts2 != texts:
            raise TdmmError(f"{path}: the reloaded LM describes or answers about the probe "
                            f"differently ({texts2!r}) from the source ({texts!r})")
        if len(motions2) != len(motions) or not all(
                _same_motion(a, b) for a, b in zip(motions, motions2)):
            raise TdmmError(f"{path}: the reloaded LM generates a different motion for "
                            f"{PROBE_PROMPT!r} than the source")
        return ["TDMMLM.from_pretrained reloads the folder",
                f"same description and chat answer for a {probe.num_frames}-frame probe "
                f"({texts[0][:60]!r})",
                f"same motion for {PROBE_PROMPT!r} ({motions[0].shape[0]} frames, seed 0)"]

    def readme(files: list[tuple[str, str]]) -> str:
        mt = lm.motion_tokenizer
        base = base_model_id(folder, lm)
        text = ModelCardText(
            title=f"TDMM-LM {config.repo_id.split('/')[-1]}",
            summary=("A causal language model that reads and writes facial motion: "
                     f"{mt.format} motion at {mt.fps:g} fps becomes {mt.tokens_per_second:g} "
                     f"motion tokens per second (vocabulary {mt.vocab_size}, added to the text "
                     "tokenizer), so one model describes motion (Motion2Language, also as a chat)"
                     " and generates it from text (Language2Motion)."
                     + (f" Fine-tuned from `{base}`." if base else "")),
            cli=(f"tdmm-lm chat --model {config.repo_id}\n"
                 f"tdmm-lm serve --model {config.repo_id}     # web demo on 127.0.0.1:7860"),
            python=("from tdmm_lm.lm.tdmmlm import TDMMLM\nfrom tdmm_lm.motion import load, "
                    f"save\n\nlm = TDMMLM.from_pretrained(\"{config.repo_id}\")\n"
                    "print(lm.describe([load(\"take.csv\")])[0])\n"
                    "print(lm.answer(load(\"take.csv\"), \"what is the person doing?\"))\n"
                    f"motion = lm.generate([\"{PROBE_PROMPT}\"])[0]\n"
                    "save(motion, \"generated.csv\")      # Live Link Face CSV"),
            training=training_text(run, configs), evaluation=evaluation_section(config),
            files=files)
        return render_model_card(card_data(config, ["motion-language-model", mt.format,
                                                     "text-generation"], base), text)

    return Staged(readme, verify, tokenizer_checks)


def check_llm_tokenizer(folder: Path, motion_vocab: int) -> list[str]:
    """The folder's text tokenizer loads offline, has a chat template and the motion tokens."""
    from transformers import AutoTokenizer

    found = sorted(folder.rglob("tokenizer_config.json"))
    if not found:
        raise TdmmError(f"{folder}: the LM folder has no text tokenizer (tokenizer_config.json)")
    tok = AutoTokenizer.from_pretrained(str(found[0].parent), trust_remote_code=False)
    if not tok.chat_template:
        raise TdmmError(f"{found[0].parent}: the text tokenizer has no chat template")
    added = len(tok.get_added_vocab())
    if added < motion_vocab:
        raise TdmmError(f"{found[0].parent}: the text tokenizer has {added} added tokens, fewer "
                        f"than the {motion_vocab} motion tokens")
    return [f"text tokenizer with chat template and {added} added tokens "
            f"(>= {motion_vocab} motion tokens)"]


def base_model_id(folder: Path, lm: Any = None) -> str | None:
    """The Hub id the LM was fine-tuned from, for the card's ``base_model``: its config's
    ``model.base_model``, else ``base_model_name_or_path`` in an adapter config. Local paths
    and the config-built tiny base are not Hub ids and give None."""
    candidates = [getattr(getattr(getattr(lm, "cfg", None), "model", None), "base_model", None)]
    for path in sorted(folder.rglob("adapter_config.json")):
        candidates.append(json.loads(path.read_text()).get("base_model_name_or_path"))
    for c in candidates:
        if isinstance(c, str) and REPO_ID.fullmatch(c) and not Path(c).exists():
            return c
    return None


# --- baselines -------------------------------------------------------------------------------------

SAFE_SUFFIXES = (".json", ".safetensors", ".yaml", ".yml", ".md", ".txt", ".jsonl")


def stage_baseline(config: PublishConfig, folder: Path) -> Staged:
    from tdmm_lm.generators import load_generator, write_kind

    ckpt = resolve_artifact(config.source, GENERATOR)    # a training run publishes its best/
    kind = artifact_kind(ckpt)
    if kind == TDMM_LM:
        raise TdmmError(f"{config.source} is a TDMM-LM run; publish it with `tdmm-lm publish llm`")
    gen = load_generator(ckpt)
    if hasattr(gen, "save_pretrained"):
        gen.save_pretrained(folder)
    else:   # a checkpoint folder of safe files is its own repository
        for p in ckpt.rglob("*"):
            if p.is_file() and p.suffix.lower() in SAFE_SUFFIXES:
                copy_file(p, folder / p.relative_to(ckpt), ckpt)
    if not (folder / GENERATOR_FILE).is_file():
        write_kind(folder, kind)
    copy_configs(ckpt, folder, ("config.yaml", "metrics.json"))
    length = max(1, round(PROBE_SECONDS * float(getattr(gen, "fps", 30.0))))
    expected = gen.generate([PROBE_PROMPT], [length], seed=0)[0]

    def verify(path: Path) -> list[str]:
        again = load_generator(path).generate([PROBE_PROMPT], [length], seed=0)[0]
        if not _same_motion(again.data, expected.data):
            raise TdmmError(f"{path}: the reloaded {kind} generates a different motion for "
                            f"{PROBE_PROMPT!r} than the source")
        return [f"load_generator reloads the {kind} checkpoint",
                f"same motion for {PROBE_PROMPT!r} ({expected.num_frames} frames, seed 0)"]

    def readme(files: list[tuple[str, str]]) -> str:
        text = ModelCardText(
            title=f"{kind} baseline {config.repo_id.split('/')[-1]}",
            summary=(f"The {kind} text-to-facial-motion baseline as trained by tdmm-lm on "
                     f"{expected.format.name} motion at {expected.fps:g} fps; it implements the "
                     "shared `MotionGenerator` interface that the benchmark scores."),
            cli=f"tdmm-lm generate \"{PROBE_PROMPT}\" --model {config.repo_id} -o generated.csv",
            python=("from tdmm_lm.generators import load_generator\n\n"
                    f"gen = load_generator(\"{config.repo_id}\")\n"
                    f"motion = gen.generate([\"{PROBE_PROMPT}\"], None, seed=0)[0]"),
            training=training_text(ckpt, ("config.yaml", "config.json")),
            evaluation=evaluation_section(config), files=files)
        return render_model_card(card_data(config, [kind, "text-to-motion",
                                                     expected.format.name]), text)

    return Staged(readme, verify)
