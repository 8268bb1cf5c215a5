"""``TDMMLM``: a trained run folder as a describer (M2L), a chat partner and a generator (L2M).

    lm = TDMMLM.from_pretrained("runs/lm_tiny")          # run folder, its best/, or a hub repo id
    lm.describe([motion])                               # ["A person smiles broadly, then ..."]
    lm.answer(motion, "Which eye winks?")               # "The left eye winks."
    lm.generate(["A person winks their left eye."], lengths=[90])   # [Motion] at lm.fps
    lm.save_pretrained(DIR)                              # a complete run folder

A run folder holds ``generator.json``, ``config.yaml`` (the resolved training config),
``tokenizer/`` (with motion tokens and chat template), ``model/`` (full weights) or ``adapter/``
(peft LoRA + trainable motion-token rows) and, for a config-built base, ``base/``;
``motion_tokenizer/``; and ``prefix/`` in prefix mode.

L2M decoding (vocab mode) is constrained: after a forced ``<motion_start>`` only motion codes of
the right residual level may follow, ``<motion_end>`` only on a step boundary, exactly the
asked number of codes when a length is given, at most ``generation.max_seconds`` otherwise.
Whatever the model writes, ``vocab.extract_codes`` keeps the longest valid motion (with a
warning); a model that writes no motion at all yields the tokenizer's rest pose.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from tdmm_lm.artifacts import TDMM_LM, first_line, load_errors, resolve_artifact
from tdmm_lm.errors import TdmmError
from tdmm_lm.generators import BuildContext, write_kind
from tdmm_lm.limits import check_size
from tdmm_lm.lm.config import LMConfig
from tdmm_lm.lm.prompts import (DESCRIBE_QUESTIONS, chat_messages, generate_prompt, prompt_ids,
                                round_seconds)
from tdmm_lm.lm.vocab import MotionVocab, resize_for, warn_problems
from tdmm_lm.motion.types import Motion

CONFIG_FILE = "config.yaml"
PROMPT_ROOM = 128   # context tokens kept for the chat template and the prompt in L2M


def load_lm(folder: Path, cfg: LMConfig, device: str | None = None):
    """``(model, tokenizer)`` of a run folder: full weights, or base + LoRA adapter."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from tdmm_lm.lm.model import load_base, quiet_transformers

    quiet_transformers()
    tokenizer = AutoTokenizer.from_pretrained(str(folder / "tokenizer"), trust_remote_code=False)
    dtype = getattr(torch, cfg.model.dtype)
    if (folder / "model").is_dir():
        check_hf_size(folder / "model")
        model = AutoModelForCausalLM.from_pretrained(str(folder / "model"), dtype=dtype,
                                                     trust_remote_code=False)
    elif (folder / "adapter").is_dir():
        from peft import PeftModel
        base = str(folder / "base") if (folder / "base").is_dir() else cfg.model.base_model
        if Path(base).is_dir():
            check_hf_size(Path(base))
        model, _ = load_base(base, cfg.model.dtype)
        resize_for(model, tokenizer)
        model = PeftModel.from_pretrained(model, str(folder / "adapter"))
    else:
        raise TdmmError(f"{folder}: has neither model/ (full weights) nor adapter/ (LoRA)")
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    if device is not None:
        model = model.to(device)
    return model.eval(), tokenizer


def check_hf_size(folder: Path) -> None:
    """Refuse a model folder whose ``config.json`` asks for more than the ``model_parameters``
    limit, counted on the meta device before any weight is allocated."""
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.from_pretrained(str(folder), trust_remote_code=False)
    check_size(lambda: AutoModelForCausalLM.from_config(config), f"{folder}/config.json",
               "model_parameters")


class _MotionSpan:
    """Logits processor for L2M: row ``i`` may write only level-``t % L`` codes, END only on a
    step boundary, exactly ``need[i]`` codes when set, at most ``limit`` codes otherwise."""

    def __init__(self, vocab: MotionVocab, prompt_len: int, need: Sequence[int | None], limit: int):
        self.vocab, self.prompt_len, self.limit = vocab, prompt_len, limit
        self.need = [limit if n is None else n for n in need]
        self.fixed = [n is not None for n in need]
        self.levels = [torch.tensor(vocab.level_ids(l)) for l in range(vocab.levels)]

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        t = input_ids.shape[1] - self.prompt_len          # codes written so far
        allowed = torch.zeros_like(scores, dtype=torch.bool)
        level = t % self.vocab.levels
        for i in range(scores.shape[0]):
            if t >= self.need[i]:
                allowed[i, self.vocab.end_id] = True
                continue
            allowed[i, self.levels[level]] = True
            if not self.fixed[i] and level == 0 and t > 0:
                allowed[i, self.vocab.end_id] = True
        return scores.masked_fill(~allowed, float("-inf"))


class TDMMLM:
    """A trained TDMM-LM (see the module docstring). Implements ``MotionDescriber`` and
    ``MotionGenerator``; ``fps`` is the motion tokenizer's frame rate."""

    name = "tdmm-lm"

    def __init__(self, model, tokenizer, vocab: MotionVocab, motion_tokenizer, cfg: LMConfig,
                 prefix=None, features=None, base_folder: str | Path | None = None) -> None:
        self.model, self.tokenizer, self.vocab = model, tokenizer, vocab
        self.motion_tokenizer, self.cfg = motion_tokenizer, cfg
        self.prefix, self.features = prefix, features   # prefix mode: texts -> word features
        self.base_folder = base_folder   # a config-built base a LoRA run must carry along

    @property
    def fps(self) -> float:
        return self.motion_tokenizer.fps

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @property
    def max_frames(self) -> int | None:
        """The longest motion the model can write: the prefix model's code table, or the LM's
        context less room for the prompt (None when the config does not say)."""
        tok = self.motion_tokenizer
        if self.prefix is not None:
            codes = self.prefix.max_tokens
        else:
            context = getattr(self.model.config, "max_position_embeddings", None)
            if not context:
                return None
            codes = context - PROMPT_ROOM
        return max(0, codes // tok.levels) * tok.downsample

    # ---- loading / saving ---------------------------------------------------------------------------
    @classmethod
    def from_pretrained(cls, path_or_repo_id: str | Path, device: str | None = None) -> TDMMLM:
        """A run folder, its training run (``best/`` is used) or a Hub repo id."""
        from tdmm_lm.vqvae.tokenizer import MotionTokenizer

        folder = resolve_artifact(path_or_repo_id, TDMM_LM)
        cfg = LMConfig.from_yaml(folder / CONFIG_FILE)
        for part in ("tokenizer", "motion_tokenizer"):
            if not (folder / part).is_dir():
                raise TdmmError(f"{folder}: not a complete TDMM-LM run ({part}/ is missing)")
        try:
            model, tokenizer = load_lm(folder, cfg, device)
        except load_errors() as e:   # damaged files fail in many types
            raise TdmmError(f"{folder}: cannot load the language model ({first_line(e)})") from None
        motion_tokenizer = MotionTokenizer.from_pretrained(str(folder / "motion_tokenizer"))
        if device is not None:
            motion_tokenizer = motion_tokenizer.to(device)
        vocab = MotionVocab.from_tokenizer(tokenizer, motion_tokenizer.vocab_size,
                                           motion_tokenizer.levels)
        prefix = features = None
        if cfg.l2m.mode == "prefix":
            from tdmm_lm.lm.prefix import PrefixL2M
            if (folder / "prefix").is_dir():   # absent: an l2m.train: lm run, M2L only
                prefix = PrefixL2M.load(folder / "prefix", device or "cpu")
                features = cls._feature_fn(prefix.text_features, model, tokenizer, device)
        base = folder / "base" if (folder / "base").is_dir() else None
        return cls(model, tokenizer, vocab, motion_tokenizer.eval(), cfg, prefix, features, base)

    @staticmethod
    def _feature_fn(name: str, model, tokenizer, device):
        from tdmm_lm.lm.prefix import lm_features, minilm_features
        return lm_features(model, tokenizer) if name == "lm" else minilm_features(name, device)[0]

    def save_pretrained(self, folder: str | Path, *, state_dict: dict | None = None,
                        prefix_state: dict | None = None) -> None:
        """Write a complete run folder (``state_dict``/``prefix_state``: gathered weights from a
        sharded training run; default: the objects' own)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in ("model", "adapter", "base", "prefix"):
            if (folder / stale).exists():
                shutil.rmtree(folder / stale)
        write_kind(folder, TDMM_LM)
        self.cfg.save_yaml(folder / CONFIG_FILE)
        self.tokenizer.save_pretrained(folder / "tokenizer")
        if hasattr(self.model, "peft_config"):
            self.model.save_pretrained(folder / "adapter", state_dict=state_dict,
                                       save_embedding_layers=False)
            if self.base_folder is not None:
                shutil.copytree(self.base_folder, folder / "base")
        else:   # model/ is also a plain HF model folder: weights + tokenizer
            self.model.save_pretrained(folder / "model", state_dict=state_dict)
            self.tokenizer.save_pretrained(folder / "model")
        self.motion_tokenizer.save_pretrained(folder / "motion_tokenizer")
        if self.prefix is not None:
            self.prefix.save(folder / "prefix", prefix_state)

    # ---- M2L ----------------------------------------------------------------------------------------
    def motion_span(self, motion: Motion) -> str:
        codes = self.motion_tokenizer.encode(motion)
        return self.vocab.to_text(self.vocab.coarse(codes, self.cfg.data.m2l_levels))

    def describe(self, motions: list[Motion], *, seed: int = 0) -> list[str]:
        """One description per motion (a long one window by window: ``_by_window``)."""
        return self._by_window(motions, lambda span: chat_messages(span, DESCRIBE_QUESTIONS[0]), seed)

    def answer(self, motion: Motion, question: str, history: list[tuple[str, str]] | None = None,
               *, seed: int = 0) -> str:
        """The answer to ``question`` about ``motion`` after earlier (question, answer) turns."""
        if not question.strip():
            raise TdmmError("the question is empty")
        return self._by_window([motion], lambda span: chat_messages(span, question, history or []),
                               seed)[0]

    def _by_window(self, motions: list[Motion], conversation, seed: int) -> list[str]:
        """The model's reply to ``conversation(motion span)`` for each motion. A motion longer
        than ``generation.max_seconds`` (a whole take; the model learned from clips of a few
        seconds and its context is finite) is read in equal windows of at most that length,
        one line per window: ``"0.0-9.6 s: <reply>"``."""
        from tdmm_lm.motion.ops import windows
        cuts = [windows(m, self.cfg.generation.max_seconds) for m in motions]
        replies = iter(self._chat([conversation(self.motion_span(piece))
                                   for pieces in cuts for _, piece in pieces], seed))
        out = []
        for pieces in cuts:
            lines = [(start, piece, next(replies)) for start, piece in pieces]
            out.append(lines[0][2] if len(lines) == 1 else "\n".join(
                f"{start:.1f}-{start + piece.duration:.1f} s: {text}" for start, piece, text in lines))
        return out

    @torch.no_grad()
    def _chat(self, conversations: list[list[dict]], seed: int) -> list[str]:
        g = self.cfg.generation
        prompts = [prompt_ids(self.tokenizer, m) for m in conversations]
        out = self._generate_ids(prompts, max_new_tokens=g.max_new_tokens,
                                 temperature=g.describe_temperature, seed=seed,
                                 suppress=self.vocab.token_ids)
        return [self.tokenizer.decode(ids, skip_special_tokens=True).strip() for ids in out]

    def _generate_ids(self, prompts: list[list[int]], *, max_new_tokens: int, temperature: float,
                      seed: int, suppress: list[int] | None = None, processor=None,
                      stop: list[int] | None = None) -> list[list[int]]:
        """HF ``generate`` on left-padded prompts; returns the new ids of each row, up to and
        including the first stop id."""
        from transformers import LogitsProcessorList

        pad = self.tokenizer.pad_token_id
        width = max(len(p) for p in prompts)
        ids = torch.full((len(prompts), width), pad, dtype=torch.long)
        mask = torch.zeros_like(ids)
        for i, p in enumerate(prompts):
            ids[i, width - len(p):], mask[i, width - len(p):] = torch.tensor(p), 1
        stop = stop or [self.tokenizer.eos_token_id]
        torch.manual_seed(seed)   # HF generate samples from the global generator
        kwargs = dict(do_sample=temperature > 0, max_new_tokens=max_new_tokens, eos_token_id=stop,
                      pad_token_id=pad, suppress_tokens=suppress,
                      logits_processor=LogitsProcessorList([processor] if processor else []))
        if temperature > 0:
            kwargs.update(temperature=temperature, top_k=self.cfg.generation.top_k or None)
        else:
            kwargs.update(temperature=None, top_k=None, top_p=None)
        out = self.model.generate(input_ids=ids.to(self.device), attention_mask=mask.to(self.device),
                                  **kwargs)[:, width:].tolist()
        return [row[:next((i + 1 for i, t in enumerate(row) if t in stop), len(row))] for row in out]

    # ---- L2M ----------------------------------------------------------------------------------------
    def _codes_for(self, frames: int) -> int:
        """Codes that cover ``frames`` frames (whole token steps, at least one)."""
        steps = max(1, math.ceil(frames / self.motion_tokenizer.downsample))
        return steps * self.motion_tokenizer.levels

    def generate(self, texts: list[str], lengths: list[int] | None = None, *, seed: int = 0
                 ) -> list[Motion]:
        """One motion per prompt at ``self.fps``; ``lengths`` in frames (None: the model ends
        the motion itself, at most ``generation.max_seconds``)."""
        if self.cfg.l2m.mode == "prefix" and self.prefix is None:
            raise TdmmError("this model has no prefix/ L2M model (a run with l2m.train: lm "
                            "learns M2L only): join it with an l2m.train: prefix run by "
                            "`tdmm-lm llm attach-l2m`")
        if lengths is not None and len(lengths) != len(texts):
            raise TdmmError(f"{len(texts)} prompts but {len(lengths)} lengths")
        lengths = list(lengths) if lengths is not None else [None] * len(texts)
        if any(n is not None and n < 1 for n in lengths):
            raise TdmmError("lengths must be >= 1 frame")
        need = [None if n is None else self._codes_for(n) for n in lengths]
        seconds = [None if n is None else round_seconds(n / self.fps) for n in lengths]
        limit = self._codes_for(int(self.cfg.generation.max_seconds * self.fps))
        if self.prefix is not None:
            # the length is imposed by decoding; the prefix model is trained without durations
            feats, mask = self.features([generate_prompt(t, None, None) for t in texts])
            codes = self.prefix.generate(feats, mask, need,
                                         temperature=self.cfg.generation.generate_temperature,
                                         top_k=self.cfg.generation.top_k, seed=seed)
            problems = [[] for _ in codes]
        else:
            codes, problems = self._vocab_codes(texts, seconds, need, limit, seed)
        motions = []
        for c, p, n in zip(codes, problems, lengths):
            warn_problems(p, "L2M")
            motions.append(self._decode(c, n))
        return motions

    @torch.no_grad()
    def _vocab_codes(self, texts, seconds, need, limit, seed):
        prompts = [prompt_ids(self.tokenizer, [{"role": "user", "content": generate_prompt(t, s)}])
                   + [self.vocab.start_id] for t, s in zip(texts, seconds)]
        width = max(len(p) for p in prompts)
        processor = _MotionSpan(self.vocab, width, need, limit)
        longest = max(limit if n is None else n for n in need) + 1
        out = self._generate_ids(prompts, max_new_tokens=longest,
                                 temperature=self.cfg.generation.generate_temperature, seed=seed,
                                 processor=processor, stop=[self.vocab.end_id])
        pairs = [self.vocab.extract_codes([self.vocab.start_id] + row, limit) for row in out]
        return [c for c, _ in pairs], [p for _, p in pairs]

    def decode_output(self, ids: Sequence[int], length: int | None = None) -> Motion:
        """Any LM output ids → the longest valid motion in them (warns when malformed)."""
        limit = self._codes_for(int(self.cfg.generation.max_seconds * self.fps))
        codes, problems = self.vocab.extract_codes(ids, limit)
        warn_problems(problems, "L2M")
        return self._decode(codes, length)

    def _decode(self, codes: list[int], length: int | None) -> Motion:
        """Codes → motion cut or edge-padded to ``length`` frames; no codes → the rest pose."""
        tok = self.motion_tokenizer
        if codes:
            motion = tok.decode(codes)
        else:
            warn_problems(["no motion codes at all"], "L2M")
            rest = tok.norm_mean.detach().cpu().numpy()[None].astype(np.float32)
            motion = Motion(np.repeat(rest, length or tok.downsample, 0), tok.fps, tok.format,
                            tok.channels)
        if length is not None and len(motion.data) != length:
            from tdmm_lm.motion.ops import pad_to
            motion = motion.replace(data=pad_to(motion.data, length, mode="edge")[0])
        return motion


def build_generator(checkpoint: str | None, context: BuildContext) -> TDMMLM:
    if not checkpoint:
        raise TdmmError("the tdmm-lm generator needs a checkpoint (a run folder)")
    return TDMMLM.from_pretrained(checkpoint, device=context.device)


def build_describer(checkpoint: str | None, context: BuildContext) -> TDMMLM:
    return build_generator(checkpoint, context)
