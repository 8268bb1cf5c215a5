"""Train TDMM-LM: M2L description, M2L chat and L2M in one run, a task for the shared runner
(``tdmm_lm.training``) on CPU, one GPU, several GPUs or DeepSpeed ZeRO — the launcher decides.

    tdmm-lm llm train --config configs/lm/tiny.yaml [--set train.grad_accum=2]
    accelerate launch --config_file configs/accelerate/zero2.yaml -m tdmm_lm.lm.train --config ...
    ACCELERATE_USE_CPU=1 accelerate launch --config_file configs/accelerate/cpu_2proc.yaml \
        -m tdmm_lm.lm.train --config configs/lm/tiny.yaml          # CPU data parallel, world size 2

Run folder as the runner's, plus ``base/`` (the config-built base, when no
``model.base_model``); ``best/`` is a complete TDMM-LM folder with the lowest validation loss
(M2L loss + L2M loss) that ``TDMMLM.from_pretrained`` reads.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from torch import nn

from tdmm_lm.atomic import atomic_write_text
from tdmm_lm.errors import TdmmError
from tdmm_lm.lm.args import LM_FLAGS, add_args
from tdmm_lm.lm.config import LMConfig
from tdmm_lm.training import runner
from tdmm_lm.training.args import config_from_args


class TrainModule(nn.Module):
    """The LM and (prefix mode) the prefix model as one module, so one DDP / DeepSpeed engine
    wraps both. ``forward`` returns the summed loss and its parts."""

    def __init__(self, lm: nn.Module, prefix: nn.Module | None = None) -> None:
        super().__init__()
        self.lm, self.prefix = lm, prefix

    def forward(self, batch: dict[str, torch.Tensor], cond=None, cond_mask=None, codes=None,
                codes_mask=None, inputs=None) -> dict[str, torch.Tensor]:
        lm_loss = self.lm(**batch).loss
        out = {"lm_loss": lm_loss, "loss": lm_loss}
        if self.prefix is not None:
            prefix_loss, acc = self.prefix.loss(cond, cond_mask, codes, codes_mask, inputs)
            out.update(prefix_loss=prefix_loss, prefix_acc=acc, loss=lm_loss + prefix_loss)
        return out


class LMTask:
    name, metric, higher_is_better = "llm", "val_loss", False
    validate_on_all_ranks = True   # identical work on every process: sharded weights need all

    def __init__(self, cfg: LMConfig, accelerator) -> None:
        from tdmm_lm.lm.model import (add_motion_vocab, count_parameters, load_base,
                                      prepare_for_training, resolve_base)
        from tdmm_lm.lm.prompts import template_texts

        self.motion_tokenizer, self.train_clips, self.val_clips = load_training_data(cfg)
        self.cfg, self.base = cfg, Path(cfg.train.out) / "base"
        with accelerator.main_process_first():   # the main process builds the tiny base once
            self.base = resolve_base(cfg.model, (t for c in self.train_clips
                                                 for t in c.texts + template_texts()),
                                     self.base, cfg.train.seed)
        model, self.tokenizer = load_base(self.base, "float32")
        self.vocab = add_motion_vocab(model, self.tokenizer, self.motion_tokenizer,
                                      cfg.model.motion_init, cfg.train.seed)
        model = prepare_for_training(model, self.vocab, cfg.model)
        prefix, self.features, self.tasks = None, None, dict(cfg.data.tasks)
        if cfg.l2m.mode == "prefix":
            if cfg.l2m.train == "joint":
                self.features, prefix = build_prefix(cfg, self.motion_tokenizer, accelerator.device,
                                                     self.train_clips + self.val_clips, model,
                                                     self.tokenizer)
            self.tasks.pop("generate", None)   # the prefix model learns L2M; the LM learns M2L
            if not any(w > 0 for w in self.tasks.values()):
                raise TdmmError("prefix mode trains the LM on describe/chat: give one a weight > 0")
        self.model = TrainModule(model, prefix)
        trainable, total = count_parameters(self.model)
        accelerator.print(f"parameters: {trainable:,} trainable of {total:,}; "
                          f"{accelerator.num_processes} process(es), {accelerator.distributed_type}")

    def param_groups(self, tc) -> list[dict]:
        groups = [{"params": [p for p in self.model.lm.parameters() if p.requires_grad]}]
        if self.model.prefix is not None:
            groups.append({"params": list(self.model.prefix.parameters()),
                           "lr": self.cfg.l2m.lr or tc.lr})
        return groups

    def batch(self, rng: np.random.Generator, batch_size: int, device) -> dict:
        from tdmm_lm.lm.batches import collate, corrupt_motion_targets, sample_examples

        cfg, vocab = self.cfg, self.vocab
        examples = sample_examples(self.train_clips, vocab, self.tasks, batch_size, rng,
                                   cfg.data.duration_prob, cfg.data.m2l_levels,
                                   cfg.data.describe_targets == "canonical")
        gen = torch.Generator().manual_seed(int(rng.integers(2**62)))
        batch = collate(self.tokenizer, examples, cfg.data.max_length)
        batch["input_ids"] = corrupt_motion_targets(batch, vocab, cfg.l2m.pkeep, gen)
        out = {"batch": {k: v.to(device) for k, v in batch.items()}}
        if self.model.prefix is not None:
            out.update(prefix_batch(self.train_clips, self.model.prefix, self.features, cfg, rng,
                                    batch_size, device, gen))
        return out

    def loss(self, model, batch) -> tuple[torch.Tensor, dict]:
        result = model(batch["batch"], **{k: v for k, v in batch.items() if k != "batch"})
        logs = {k: v.item() for k, v in result.items() if k != "loss"}
        logs["tokens"] = int(batch["batch"]["attention_mask"].sum())
        return result["loss"], logs

    def validate(self, model) -> dict:
        from tdmm_lm.lm.scoring import score
        l2m = self.cfg.l2m.train == "joint"   # "lm": this run learns no L2M to score
        metrics = score(model.lm, self.tokenizer, self.vocab, self.val_clips,
                        max_length=self.cfg.data.max_length, prefix=model.prefix,
                        features=self.features, l2m=l2m, m2l_levels=self.cfg.data.m2l_levels)
        return {"val_loss": metrics["m2l_loss"] + metrics.get("l2m_loss", 0.0), **metrics}

    def save(self, model, folder: Path, metrics: dict, state_dict) -> None:
        import json

        from tdmm_lm.lm.tdmmlm import TDMMLM
        lm_state = {k[3:]: v for k, v in state_dict.items() if k.startswith("lm.")}
        prefix_state = {k[7:]: v for k, v in state_dict.items() if k.startswith("prefix.")}
        TDMMLM(model.lm, self.tokenizer, self.vocab, self.motion_tokenizer, self.cfg, model.prefix,
               base_folder=None if self.cfg.model.base_model else self.base
               ).save_pretrained(folder, state_dict=lm_state, prefix_state=prefix_state or None)
        atomic_write_text(folder / "metrics.json", json.dumps(metrics, indent=1))


class PrefixTask:
    """``l2m.train: prefix``: only the prefix model (L2M), on the same data and features as a
    joint run; ``best/`` holds ``prefix/`` and the ``motion_tokenizer/`` it writes codes for,
    for ``tdmm-lm llm attach-l2m`` to join with an ``l2m.train: lm`` run."""

    name, metric, higher_is_better = "llm-l2m", "l2m_loss", False
    validate_on_all_ranks = False

    def __init__(self, cfg: LMConfig, accelerator) -> None:
        self.cfg = cfg
        self.motion_tokenizer, self.train_clips, self.val_clips = load_training_data(cfg)
        self.features, self.model = build_prefix(cfg, self.motion_tokenizer, accelerator.device,
                                                 self.train_clips + self.val_clips)
        accelerator.print(f"prefix L2M parameters: {sum(p.numel() for p in self.model.parameters()):,}")

    def param_groups(self, tc) -> list[dict]:
        return [{"params": list(self.model.parameters()), "lr": self.cfg.l2m.lr or tc.lr}]

    def batch(self, rng: np.random.Generator, batch_size: int, device) -> dict:
        gen = torch.Generator().manual_seed(int(rng.integers(2**62)))
        return prefix_batch(self.train_clips, self.model, self.features, self.cfg, rng, batch_size,
                            device, gen)

    def loss(self, model, batch) -> tuple[torch.Tensor, dict]:
        loss, acc = model.loss(batch["cond"], batch["cond_mask"], batch["codes"], batch["codes_mask"],
                               batch["inputs"])
        return loss, {"prefix_acc": acc.item()}

    def validate(self, model) -> dict:
        from tdmm_lm.lm.scoring import score_prefix
        return score_prefix(model, self.features, self.val_clips)

    def save(self, model, folder: Path, metrics: dict, state_dict) -> None:
        import json
        model.save(folder / "prefix", state_dict)
        self.motion_tokenizer.save_pretrained(folder / "motion_tokenizer")
        atomic_write_text(folder / "metrics.json", json.dumps(metrics, indent=1))


def load_training_data(cfg: LMConfig):
    """``(motion tokenizer, train clips, validation clips)`` of ``cfg.data``, checked."""
    from tdmm_lm.data.schema import load_dataset_dict, require_splits, require_texts
    from tdmm_lm.lm.batches import load_clips

    dc = cfg.data
    if not dc.dataset:
        raise TdmmError("no dataset: set data.dataset in the config or pass --dataset DIR")
    dd = load_dataset_dict(dc.dataset)
    require_splits(dd, dc.dataset)
    require_texts(dd, dc.dataset)
    motion_tokenizer = load_motion_tokenizer(dc.motion_tokenizer)
    tps = motion_tokenizer.tokens_per_second
    train_clips = load_clips(dd["train"], tps, reworded=dc.reworded)
    val_clips = load_clips(dd["validation"], tps, dc.max_val_samples)
    _check_codes(train_clips + val_clips, motion_tokenizer, dc.dataset)
    return motion_tokenizer, train_clips, val_clips


def build_prefix(cfg: LMConfig, motion_tokenizer, device, clips=(), model=None, tokenizer=None):
    """``(features, prefix model)`` for prefix mode: frozen encoder features of every prompt of
    ``clips``, encoded before training as the baselines' sentence vectors are (or read from
    ``l2m.feature_file``), or the LM's own states (``text_features: lm``, needs ``model`` and
    ``tokenizer``)."""
    from tdmm_lm.lm.prefix import PrefixL2M, lm_features, lm_hidden_size
    if cfg.l2m.text_features == "lm":
        if model is None:
            raise TdmmError("l2m.text_features: lm reads the LM's states: train with l2m.train: joint")
        features, dim = lm_features(model, tokenizer), lm_hidden_size(model)
    else:
        features, dim = prompt_features(cfg, device, [t for c in clips for t in c.prompts])
    return features, PrefixL2M.build(motion_tokenizer, cfg.l2m, dim, cfg.generation.max_seconds)


def prompt_features(cfg: LMConfig, device, texts):
    """``(CachedFeatures, dim)`` holding the frozen encoder's word features of the prefix
    model's prompts made of ``texts`` (``l2m.feature_file`` read first, written after)."""
    from tdmm_lm.lm.prefix import CachedFeatures, minilm_features
    from tdmm_lm.lm.prompts import generate_prompt

    encode, dim = minilm_features(cfg.l2m.text_features, device)
    features = CachedFeatures(encode, device=device)
    path = Path(cfg.l2m.feature_file) if cfg.l2m.feature_file else None
    if path is not None and path.is_file():
        features.load(path)
    before = len(features.cache)
    features.prefill([generate_prompt(t, None, None) for t in texts])
    if path is not None and len(features.cache) > before:
        features.save(path)
    return features, dim


def write_feature_file(cfg: LMConfig, dataset: str):
    """Encode the prompts of ``dataset``'s train and validation texts (it needs no codes yet)
    into ``cfg.l2m.feature_file`` ahead of a prefix run (the quickstart does it while the
    tokenizer trains); returns the ``CachedFeatures`` holding them."""
    from tdmm_lm.data.schema import load_dataset_dict, require_splits, require_texts

    if not cfg.l2m.feature_file:
        raise TdmmError("no l2m.feature_file to write")
    dd = load_dataset_dict(dataset)
    require_splits(dd, dataset)
    require_texts(dd, dataset)
    from tdmm_lm.data.facescript.lexicon import reworded_rows

    val = dd["validation"].select(range(min(cfg.data.max_val_samples, len(dd["validation"]))))
    texts = [t for split in (dd["train"], val) for ts in split["texts"] for t in ts]
    if cfg.data.reworded:   # the training clips' extra prompts, as load_clips draws them
        texts += [t for ts in reworded_rows(dd["train"]["attributes"], cfg.data.reworded) for t in ts]
    return prompt_features(cfg, "cpu", texts)[0]


def prefix_batch(clips, prefix, features, cfg: LMConfig, rng: np.random.Generator, batch_size: int,
                 device, gen: torch.Generator) -> dict:
    """A prefix-model batch: prompt features, the clips' codes and their pkeep-corrupted copy."""
    from tdmm_lm.lm.batches import code_batch, sample_examples
    from tdmm_lm.nn.code_gpt import corrupt_codes

    # no "for N seconds" in the prefix model's text: the length is imposed by decoding, and a
    # prompt has half as many forms to encode (the frozen encoder dominates a prefix step)
    conds = sample_examples(clips, None, {"condition": 1.0}, batch_size, rng, 0.0)
    codes, codes_mask = code_batch([e.codes for e in conds], prefix.max_tokens)
    levels = prefix.levels
    inputs = corrupt_codes(codes, codes_mask, pkeep=cfg.l2m.pkeep, num_codes=prefix.gpt.num_codes,
                           levels=levels, generator=gen)
    cond, cond_mask = features([e.target for e in conds])
    return dict(cond=cond.to(device), cond_mask=cond_mask.to(device), codes=codes.to(device),
                codes_mask=codes_mask.to(device), inputs=inputs.to(device))


def load_motion_tokenizer(path: str):
    """The motion tokenizer folder (or a tokenizer run folder's ``best/``, or a hub repo id)."""
    from tdmm_lm.vqvae.tokenizer import MotionTokenizer

    if not path:
        raise TdmmError("no motion tokenizer: set data.motion_tokenizer or pass --motion-tokenizer")
    return MotionTokenizer.from_pretrained(path).eval()


def _check_codes(clips, motion_tokenizer, where: str) -> None:
    top = max((max(c.codes) for c in clips if c.codes), default=-1)
    if top >= motion_tokenizer.vocab_size or any(len(c.codes) % motion_tokenizer.levels for c in clips):
        raise TdmmError(f"{where}: its `codes` were not written by this motion tokenizer "
                        f"({motion_tokenizer.vocab_size} codes, {motion_tokenizer.levels} levels); "
                        "re-run `tdmm-lm vq tokenize-dataset` with it")


def train(cfg: LMConfig, progress: bool = True) -> Path:
    """Train (or resume) the run in ``cfg.train.out``; returns the folder of the best model."""
    task = PrefixTask if cfg.l2m.train == "prefix" else LMTask
    return runner.train(cfg, lambda acc: task(cfg, acc), progress=progress)


def main(argv: list[str] | None = None) -> int:
    """``python -m tdmm_lm.lm.train --config FILE`` (for ``accelerate launch``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_args(parser)
    args = parser.parse_args(argv)
    train(config_from_args(LMConfig, args, LM_FLAGS), progress=not args.no_progress)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
