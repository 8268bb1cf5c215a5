"""MDM's data for the shared training loop: motions at the model's fps, z-scored with the
training split's statistics (saved in the checkpoint), random crops of ``max_frames``."""

from __future__ import annotations

import numpy as np

from tdmm_lm.baselines.data import Example, TrainingSetup, crop_and_pad, split_texts
from tdmm_lm.baselines.text import TextBank
from tdmm_lm.motion.ops import Normalizer


def setup(cfg, dd, bank: TextBank) -> TrainingSetup:
    """``cfg``: ``BaselineConfig`` (kind mdm); ``dd``: the DatasetDict; ``bank``: text vectors."""
    import torch

    from tdmm_lm.baselines.mdm.modeling import MDM
    from tdmm_lm.data.schema import split_motions
    from tdmm_lm.motion.ops import prepare_motion

    train_motions = split_motions(dd["train"])
    first = train_motions[0]
    fps = cfg.model.fps or first.fps

    def arrays(motions):
        return [prepare_motion(m, first.format.name, first.channels, fps) for m in motions]

    raw_train = arrays(train_motions)
    normalizer = Normalizer.fit(raw_train, first.channels, first.format.name)  # train split only
    val = dd["validation"].select(range(min(cfg.data.max_val_samples, len(dd["validation"]))))
    median = int(np.median([len(a) for a in raw_train]))
    model = MDM({**cfg.model.to_dict(), "fps": fps}, first.format.name, list(first.channels), fps,
                cfg.text_encoder, bank.dim, min(median, cfg.model.max_frames))
    with torch.no_grad():
        model.norm_mean.copy_(torch.from_numpy(normalizer.mean))
        model.norm_std.copy_(torch.from_numpy(normalizer.std))

    def examples(raw, split, reworded: int = 0) -> list[Example]:
        return [Example(normalizer.normalize(a), t)
                for a, t in zip(raw, split_texts(split, reworded))]

    def collate(batch: list[Example], rng: np.random.Generator):
        motion, mask, cond = crop_and_pad(batch, cfg.model.max_frames, rng, bank)
        return {"motion": motion, "mask": mask, "cond": cond}

    return TrainingSetup(model, examples(raw_train, dd["train"], cfg.data.reworded),
                         examples(arrays(split_motions(val)), val), collate)
