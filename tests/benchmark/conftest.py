"""A small FaceScript corpus with four distinct actions (learnable in seconds) and a tiny
extractor trained on it through the CLI."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

ACTIONS = ("smile_broad", "nod", "raise_brows", "look_left")
SPLITS = {"train": 48, "validation": 8, "test": 8}
EXTRACTOR_YAML = """# tdmm-lm eval train-extractor --config THIS
model: {max_frames: 180, text_encoder: learned, word_dim: 16, vocab_buckets: 512, text_hidden: 32,
        movement_dim: 32, motion_hidden: 32, embed_dim: 32, margin: 10.0}
data: {fps: 30.0}
train: {batch_size: 16, steps: 600, lr: 0.003, warmup_steps: 0, min_lr_ratio: 1.0, grad_clip: 0.0,
        eval_every: 300, checkpoint_every: 300, num_threads: 1}
"""


def make_corpus(out, seed: int = 3) -> None:
    import datasets

    from tdmm_lm.data.schema import features
    from tdmm_lm.data.synthetic import FaceScriptConfig, generate_sample

    config = FaceScriptConfig(num_samples=0, seed=seed, max_seconds=4.0)
    parts, index = {}, 0
    for split, n in SPLITS.items():
        rows = []
        for i in range(n):
            action = ACTIONS[i % len(ACTIONS)]
            row = generate_sample(config, index, segments=[{"action": action}],
                                  subject=f"fs_s{index % 7:03d}")
            # one text per clip: the ground-truth generator finds a clip by its text
            row["text"] = row["text"][:-1] + f", take {index}."
            row["texts"] = [row["text"]]
            rows.append(row)
            index += 1
        parts[split] = datasets.Dataset.from_list(rows, features=features(61))
    datasets.DatasetDict(parts).save_to_disk(str(out))


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    """``SimpleNamespace(dataset, extractor, extractor_run, tokenizer, root)``: the corpus, an
    extractor trained on it (tdmm-lm eval train-extractor: its run folder and the ``best/``
    extractor in it) and a tiny untrained motion tokenizer."""
    from tdmm_lm.cli import main
    from tests.tiny import make_tokenizer

    root = tmp_path_factory.mktemp("bench")
    make_corpus(root / "data")
    (root / "extractor.yaml").write_text(EXTRACTOR_YAML)
    assert main(["eval", "train-extractor", "--config", str(root / "extractor.yaml"),
                 "--dataset", str(root / "data"), "--out", str(root / "extractor"),
                 "--no-progress"]) == 0
    make_tokenizer(levels=2).save_pretrained(root / "tokenizer")
    return SimpleNamespace(dataset=root / "data", extractor=root / "extractor" / "best",
                           extractor_run=root / "extractor", tokenizer=root / "tokenizer", root=root)
