"""T2M-GPT's data for the shared training loop: the dataset's ``codes`` column (made here with
the run's tokenizer when the dataset has none), as ``[steps, levels]`` arrays cropped on whole
token steps."""

from __future__ import annotations

import numpy as np

from tdmm_lm.baselines.data import Example, TrainingSetup, crop_and_pad, split_texts
from tdmm_lm.baselines.text import TextBank
from tdmm_lm.errors import TdmmError

CHECK_CLIPS = 4        # clips re-encoded to check that the codes column came from this tokenizer
CHECK_AGREEMENT = 0.9  # share of equal codes required (float noise may flip a near-tie)


def setup(cfg, dd, bank: TextBank) -> TrainingSetup:
    """``cfg``: ``BaselineConfig`` (kind t2m-gpt); ``dd``: the DatasetDict; ``bank``: text vectors."""
    from tdmm_lm.baselines.t2m_gpt.modeling import T2MGPT
    from tdmm_lm.vqvae.tokenizer import MotionTokenizer
    from tdmm_lm.vqvae.dataset import tokenize_dataset

    if not cfg.data.motion_tokenizer:
        raise TdmmError("t2m-gpt needs the motion tokenizer: set data.motion_tokenizer in the config "
                        "or pass --motion-tokenizer DIR")
    tok = MotionTokenizer.from_pretrained(cfg.data.motion_tokenizer).eval()
    if "codes" not in dd["train"].column_names:
        print(f"{cfg.data.dataset}: no codes column; tokenizing with {cfg.data.motion_tokenizer}")
        dd = tokenize_dataset(dd, tok)
    _check_codes_match(dd["train"], tok, cfg.data)

    levels = tok.levels
    val = dd["validation"].select(range(min(cfg.data.max_val_samples, len(dd["validation"]))))

    def examples(split, reworded: int = 0) -> list[Example]:
        return [Example(np.asarray(c, dtype=np.int64).reshape(-1, levels), t)
                for c, t in zip(split["codes"], split_texts(split, reworded))]

    train = examples(dd["train"], cfg.data.reworded)
    longest = max(len(e.data) for e in train) * levels
    max_tokens = cfg.model.max_tokens or longest
    if max_tokens < levels:
        raise TdmmError(f"model.max_tokens must hold at least one token step ({levels} codes)")
    model = T2MGPT.build(cfg.model, tok, cfg.text_encoder, bank.dim, max_tokens)
    max_steps = max_tokens // levels

    def collate(batch: list[Example], rng: np.random.Generator):
        codes, mask, cond = crop_and_pad(batch, max_steps, rng, bank)  # [B, S, L], [B, S]
        b = codes.shape[0]
        return {"codes": codes.reshape(b, -1), "cond": cond,
                "mask": mask[..., None].expand(-1, -1, levels).reshape(b, -1)}

    return TrainingSetup(model, train, examples(val), collate)


def _check_codes_match(split, tok, dc) -> None:
    """Refuse a codes column written by another tokenizer: the GPT would learn the wrong codes."""
    from tdmm_lm.data.schema import split_motions
    rows = split.select(range(min(CHECK_CLIPS, len(split))))
    fresh = tok.encode_batch(split_motions(rows))
    stored = [list(c) for c in rows["codes"]]
    same = sum(a == b for f, s in zip(fresh, stored) if len(f) == len(s) for a, b in zip(f, s))
    total = sum(len(s) for s in stored)
    if total == 0 or same / total < CHECK_AGREEMENT:
        raise TdmmError(f"{dc.dataset}: its codes column was not written by the tokenizer "
                        f"{dc.motion_tokenizer} ({same}/{total} codes agree); re-run `tdmm-lm vq "
                        "tokenize-dataset` with that tokenizer, or use the raw dataset")
