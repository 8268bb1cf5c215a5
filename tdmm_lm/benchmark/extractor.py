"""The text–motion feature extractor every benchmark number is measured in.

    tdmm-lm eval train-extractor --config configs/benchmark/extractor_facescript.yaml

The HumanML3D / Express4D evaluator adapted to faces: a text encoder (word features from the
frozen packaged all-MiniLM-L6-v2, or word embeddings trained from scratch over its WordPiece
vocabulary, then a bidirectional GRU), a movement encoder (two stride-2 Conv1d: 4x shorter in
time) and a motion BiGRU, both into one co-embedding space. Trained with the margin contrastive
loss of the reference: a text is pulled to its own motion and pushed at least ``margin`` away
from the motion of another row (negatives by shifting the batch).

An extractor belongs to one dataset: its folder holds the normaliser and the fingerprint of the
split it was trained on, and ``check_dataset`` refuses another format, fps, normaliser or
training split (numbers from another extractor are not comparable).

Trained by the shared runner: the run folder has ``best/`` (the extractor with the best
validation top-3: ``extractor.safetensors``, ``config.yaml`` (resolved), ``extractor.json``
(format, channels, fps, fingerprint, validation scores), ``normalizer.json``), ``last/`` and
``log.jsonl``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from tdmm_lm.artifacts import EXTRACTOR, EXTRACTOR_FILE, resolve_artifact
from tdmm_lm.atomic import atomic_write_text
from tdmm_lm.training.config import TrainSection
from tdmm_lm.yaml_config import ConfigMixin, check
from tdmm_lm.errors import TdmmError
from tdmm_lm.motion.ops import Normalizer, pad_batch, resample
from tdmm_lm.motion.types import Motion

UNIT = 4            # frames per movement-encoder step (two stride-2 convs)
WEIGHTS = "extractor.safetensors"
META = EXTRACTOR_FILE
NORMALIZER = "normalizer.json"
CONFIG = "config.yaml"
TEXT_ENCODERS = ("minilm", "learned")


@dataclass
class ExtractorModel:
    """Network sizes (HumanML3D: text 512, movement 512, motion 1024, co-embedding 512; 128 here
    so that a few CPU minutes train it on a face corpus) and the contrastive margin."""

    text_encoder: str = "minilm"  # "minilm" (frozen, packaged) or "learned" (word embeddings)
    word_dim: int = 128          # learned word embedding width (text_encoder: learned)
    vocab_buckets: int = 4096    # rows of the learned embedding (word-piece id modulo this)
    text_hidden: int = 128
    movement_dim: int = 128
    motion_hidden: int = 128
    embed_dim: int = 128         # co-embedding width
    max_frames: int = 196        # longest motion seen (HumanML3D / Express4D: 196)
    margin: float = 10.0         # contrastive margin (reference: 10)

    def validate(self) -> None:
        check(self.max_frames >= UNIT and self.max_frames % UNIT == 0, "model.max_frames",
              f"must be a positive multiple of {UNIT}")
        check(self.text_encoder in TEXT_ENCODERS, "model.text_encoder", f"must be one of {TEXT_ENCODERS}")
        for name in ("word_dim", "vocab_buckets", "text_hidden", "movement_dim", "motion_hidden",
                     "embed_dim"):
            check(getattr(self, name) >= 1, f"model.{name}", "must be >= 1")
        check(self.margin > 0, "model.margin", "must be > 0")


@dataclass
class ExtractorData:
    dataset: str = ""            # DatasetDict folder; --dataset overrides
    fps: float = 0.0             # frame rate the extractor reads; 0 = the train split's

    def validate(self) -> None:
        check(self.fps >= 0, "data.fps", "must be >= 0 (0 = the dataset's)")


@dataclass
class ExtractorConfig(ConfigMixin):
    model: ExtractorModel = field(default_factory=ExtractorModel)
    data: ExtractorData = field(default_factory=ExtractorData)
    train: TrainSection = field(default_factory=lambda: TrainSection(out="runs/extractor"))

    def __post_init__(self) -> None:
        self.model.validate()
        self.data.validate()
        self.train.validate()
        check(self.train.batch_size >= 2, "train.batch_size", "must be >= 2 (negatives come from the batch)")


# ---- the network ------------------------------------------------------------------------------

class BiGRUEncoder(nn.Module):
    """``[B, L, in]`` + lengths ``[B]`` -> ``[B, out]``: linear, BiGRU, both final states, MLP
    (HumanML3D's TextEncoderBiGRUCo / MotionEncoderBiGRUCo). One addition: a LayerNorm before
    the GRU. Without it the movement features grew during training until the GRU's gates
    saturated and different actions (a smile, raised brows) got the same embedding."""

    def __init__(self, in_dim: int, hidden: int, out_dim: int) -> None:
        super().__init__()
        self.input = nn.Sequential(nn.Linear(in_dim, hidden), nn.LayerNorm(hidden))
        self.gru = nn.GRU(hidden, hidden, batch_first=True, bidirectional=True)
        self.output = nn.Sequential(nn.Linear(2 * hidden, hidden), nn.LayerNorm(hidden),
                                    nn.LeakyReLU(0.2), nn.Linear(hidden, out_dim))

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        packed = pack_padded_sequence(self.input(x), lengths.cpu(), batch_first=True,
                                      enforce_sorted=False)
        _, h = self.gru(packed)                      # [2, B, hidden]
        return self.output(torch.cat([h[0], h[1]], dim=-1))


class MovementEncoder(nn.Module):
    """``[B, T, D]`` -> ``[B, T / 4, out]``: two Conv1d (kernel 4, stride 2) + a linear."""

    def __init__(self, in_dim: int, out_dim: int) -> None:
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv1d(in_dim, out_dim, 4, 2, 1), nn.Dropout(0.2), nn.LeakyReLU(0.2),
            nn.Conv1d(out_dim, out_dim, 4, 2, 1), nn.Dropout(0.2), nn.LeakyReLU(0.2))
        self.output = nn.Linear(out_dim, out_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output(self.conv(x.transpose(1, 2)).transpose(1, 2))


class TextMotionExtractor(nn.Module):
    """Texts and motions into one space; ``embed_texts``/``embed_motions`` give ``[N, E]``."""

    def __init__(self, config: ExtractorConfig, channels: Sequence[str], format: str,
                 fps: float, normalizer: Normalizer) -> None:
        super().__init__()
        self.config, self.channels, self.format, self.fps = config, tuple(channels), format, fps
        self.normalizer = normalizer
        m = config.model
        self._words = WordFeatures(m)
        self.word_embedding = (nn.Embedding(self._words.vocab_size, m.word_dim)
                               if m.text_encoder == "learned" else None)
        self.text_encoder = BiGRUEncoder(self._words.dim, m.text_hidden, m.embed_dim)
        self.movement = MovementEncoder(len(self.channels), m.movement_dim)
        self.motion_encoder = BiGRUEncoder(m.movement_dim, m.motion_hidden, m.embed_dim)

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    # -- tensors in, embeddings out (training and inference) --
    def encode_text(self, words: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """``words``: ``[B, L, 384]`` MiniLM features, or ``[B, L]`` token ids when learned."""
        if self.word_embedding is not None:
            words = self.word_embedding(words)
        return self.text_encoder(words, lengths)

    def encode_motion(self, motion: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """``motion [B, T, D]`` normalised, ``lengths [B]`` frames (multiples of 4)."""
        return self.motion_encoder(self.movement(motion), torch.clamp(lengths // UNIT, min=1))

    # -- Python objects in, numpy out (the benchmark) --
    @torch.no_grad()
    def embed_texts(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        self.eval()
        out = []
        for i in range(0, len(texts), batch_size):
            words, lengths = self._words.batch(list(texts[i:i + batch_size]), self.device)
            out.append(self.encode_text(words, lengths).cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, self.config.model.embed_dim), np.float32)

    @torch.no_grad()
    def embed_motions(self, motions: Sequence[Motion], batch_size: int = 256) -> np.ndarray:
        """Motions at the extractor's fps and format; longer ones are cut to ``max_frames``."""
        self.eval()
        arrays = [self.prepare(m) for m in motions]
        out = []
        for i in range(0, len(arrays), batch_size):
            x, lengths = self.motion_batch(arrays[i:i + batch_size])
            out.append(self.encode_motion(x, lengths).cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, self.config.model.embed_dim), np.float32)

    def prepare(self, motion: Motion) -> np.ndarray:
        """Normalised ``[T, D]`` (T <= max_frames); refuses another format, channels or fps."""
        self.normalizer.check(motion)
        if abs(motion.fps - self.fps) > 1e-6:
            raise TdmmError(f"the extractor reads {self.fps:g} fps motion, got {motion.fps:g} fps "
                            "(resample with tdmm_lm.motion.ops.resample first)")
        return self.normalizer.normalize(motion.data[:self.config.model.max_frames])

    def motion_batch(self, arrays: Sequence[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
        """Normalised arrays -> ``[B, T, D]`` (edge-padded to a multiple of 4) and lengths."""
        lengths = [max(UNIT, len(a) // UNIT * UNIT) for a in arrays]
        data, _ = pad_batch([a[:n] for a, n in zip(arrays, lengths)], max(lengths), mode="edge")
        return (torch.from_numpy(data).to(self.device),
                torch.as_tensor(lengths, dtype=torch.long, device=self.device))

    # -- saving and loading --
    def save(self, folder: str | Path, meta: dict) -> None:
        from safetensors.torch import save_file
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        save_file({k: v.detach().cpu().contiguous() for k, v in self.state_dict().items()},
                  str(folder / WEIGHTS))
        self.config.save_yaml(folder / CONFIG, "# resolved extractor config (tdmm-lm eval train-extractor)\n")
        self.normalizer.save(folder / NORMALIZER)
        atomic_write_text(folder / META, json.dumps(
            {"format": self.format, "channels": list(self.channels), "fps": self.fps, **meta},
            indent=1) + "\n")

    @classmethod
    def load(cls, folder: str | Path, device: str | None = None) -> TextMotionExtractor:
        """An extractor folder, a run holding one in ``best/``, or a Hub repo id."""
        from safetensors.torch import load_file
        folder = resolve_artifact(folder, EXTRACTOR)
        if not (folder / WEIGHTS).is_file():
            raise TdmmError(f"{folder}: no {WEIGHTS} (train the extractor again with tdmm-lm eval "
                            "train-extractor)")
        meta = json.loads((folder / META).read_text())
        config = ExtractorConfig.from_yaml(folder / CONFIG)
        model = cls(config, meta["channels"], meta["format"], meta["fps"],
                    Normalizer.load(folder / NORMALIZER))
        model.load_state_dict(load_file(str(folder / WEIGHTS)))
        model.meta = meta
        return model.to(device or "cpu").eval()

    def check_dataset(self, dataset: str, split_fingerprint: str, normalizer: Normalizer) -> None:
        """Refuse a dataset whose train split (fingerprint) or normaliser differ from the ones
        this extractor was trained on."""
        meta = getattr(self, "meta", {})
        where = f"extractor trained on {meta.get('dataset', '?')}"
        if normalizer.format != self.format or normalizer.channels != self.channels:
            raise TdmmError(f"{where} reads {self.format} ({len(self.channels)} channels); "
                            f"{dataset} is {normalizer.format} ({len(normalizer.channels)} channels)")
        if meta.get("fingerprint") not in (None, split_fingerprint):
            raise TdmmError(f"{where} (train fingerprint {meta['fingerprint'][:12]}); {dataset} "
                            f"has another train split ({split_fingerprint[:12]}): train an "
                            "extractor on it with tdmm-lm eval train-extractor")
        if not (np.allclose(normalizer.mean, self.normalizer.mean, atol=1e-5)
                and np.allclose(normalizer.std, self.normalizer.std, atol=1e-5)):
            raise TdmmError(f"{where}: {dataset} normalises differently (another corpus or "
                            "frame rate); train an extractor on it")


class WordFeatures:
    """Texts -> the text encoder's input: frozen MiniLM word features ``[B, L, 384]`` (cached per
    text) or WordPiece ids ``[B, L]`` for learned embeddings; lengths ``[B]`` in word pieces."""

    def __init__(self, config: ExtractorModel) -> None:
        from tdmm_lm.text_encoder import packaged_minilm_path
        self.learned = config.text_encoder == "learned"
        self._encoder = None
        self._cache: dict[str, torch.Tensor] = {}
        if self.learned:
            from transformers import AutoTokenizer
            self._tokenizer = AutoTokenizer.from_pretrained(str(packaged_minilm_path()))
            # MiniLM's 30522 word pieces hashed into vocab_buckets rows: a closed corpus uses a
            # few hundred, and a small table keeps the optimiser step cheap on CPU
            self.vocab_size, self.dim = config.vocab_buckets, config.word_dim
        else:
            self.vocab_size, self.dim = 0, 384  # all-MiniLM-L6-v2 hidden size

    def batch(self, texts: list[str], device) -> tuple[torch.Tensor, torch.Tensor]:
        if self.learned:
            from tdmm_lm.text_encoder import MAX_WORDS
            enc = self._tokenizer(texts, padding=True, truncation=True, max_length=MAX_WORDS,
                                  return_tensors="pt")
            return (enc["input_ids"] % self.vocab_size).to(device), enc["attention_mask"].sum(1)
        self.precompute(texts)
        feats = [self._cache[t] for t in texts]
        lengths = torch.as_tensor([len(f) for f in feats])
        padded = torch.nn.utils.rnn.pad_sequence(feats, batch_first=True)
        return padded.float().to(device), lengths

    def precompute(self, texts: Sequence[str], batch_size: int = 128) -> None:
        """MiniLM features of every text not cached yet (float16 to halve memory)."""
        todo = sorted({t for t in texts if t not in self._cache})
        if not todo or self.learned:
            return
        if self._encoder is None:
            from tdmm_lm.text_encoder import TextEncoder
            self._encoder = TextEncoder.load("minilm")
        for i in range(0, len(todo), batch_size):
            chunk = todo[i:i + batch_size]
            words, mask = self._encoder.encode_words(chunk)
            for t, w, m in zip(chunk, words, mask):
                self._cache[t] = w[m].to(torch.float16).cpu()


# ---- dataset identity -------------------------------------------------------------------------

def split_fingerprint(split) -> str:
    """sha256 of the split's format, fps and (id, frame count) of every row, in order.

    Not ``datasets``' ``_fingerprint``: that changes with every ``map`` (adding the ``codes``
    column gives a new one) although the motions are the same.
    """
    cols = split.select_columns(["id", "motion", "fps", "format"])
    h = hashlib.sha256()
    for row in cols.with_format("numpy", columns=["motion"], output_all_columns=True):
        h.update(f"{row['id']}|{len(row['motion'])}|{float(row['fps']):g}|{row['format']};".encode())
    return h.hexdigest()


def split_motions_at(split, fps: float | None) -> list[Motion]:
    """A split's motions, resampled to ``fps`` when given."""
    from tdmm_lm.data.schema import split_motions
    motions = split_motions(split)
    return motions if not fps else [resample(m, fps) if m.fps != fps else m for m in motions]


def fit_normalizer(motions: Sequence[Motion]) -> Normalizer:
    first = motions[0]
    return Normalizer.fit([m.data for m in motions], first.channels, first.format.name)


# ---- training ---------------------------------------------------------------------------------

def contrastive_loss(a: torch.Tensor, b: torch.Tensor, negative: bool, margin: float) -> torch.Tensor:
    """The reference's ContrastiveLoss: ``d^2`` for pairs, ``max(margin - d, 0)^2`` for non-pairs."""
    d = nn.functional.pairwise_distance(a, b, keepdim=True)
    return (torch.clamp(margin - d, min=0.0) ** 2 if negative else d ** 2).mean()


def training_crop(length: int, max_frames: int, rng: np.random.Generator) -> tuple[int, int]:
    """(start, frames) of a training window: the clip (at most ``max_frames``) cut to whole units,
    one unit shorter one time in three (the reference's augmentation)."""
    n = max(UNIT, min(length, max_frames) // UNIT * UNIT)
    if n > UNIT and rng.random() < 1 / 3:
        n -= UNIT
    start = int(rng.integers(0, max(length - n, 0) + 1))
    return start, n


def validation_scores(model: TextMotionExtractor, texts: list[str], motions: list[Motion],
                      seed: int = 0) -> dict[str, float]:
    """R-precision top-1/3 and matching score on rows shuffled with ``seed`` (batches of 32, or
    of the whole split when it is smaller: then not comparable with benchmark numbers)."""
    from tdmm_lm.benchmark.metrics import matching_score, r_precision
    order = np.random.default_rng(seed).permutation(len(texts))
    t = model.embed_texts([texts[i] for i in order])
    m = model.embed_motions([motions[i] for i in order])
    batch = min(32, len(texts))
    top = r_precision(t, m, top_k=min(3, batch), batch_size=batch)
    return {"top1": float(top[0]), "top3": float(top[-1]), "matching": matching_score(t, m, batch)}


class ExtractorTask:
    name, metric, higher_is_better, validate_on_all_ranks = "extractor", "top3", True, False

    def __init__(self, cfg: ExtractorConfig, accelerator) -> None:
        from tdmm_lm.data.schema import load_dataset_dict, require_texts

        if not cfg.data.dataset:
            raise TdmmError("no dataset: set data.dataset in the config or pass --dataset DIR")
        dd = load_dataset_dict(cfg.data.dataset)
        for split in ("train", "validation"):
            if split not in dd or len(dd[split]) < 2:
                raise TdmmError(f"{cfg.data.dataset}: needs a {split!r} split of at least 2 clips")
        require_texts(dd, cfg.data.dataset)
        fps = cfg.data.fps or float(dd["train"][0]["fps"])
        train_motions = split_motions_at(dd["train"], fps)
        normalizer = fit_normalizer(train_motions)     # train split only: no test leak
        first = train_motions[0]
        self.cfg = cfg
        self.model = TextMotionExtractor(cfg, first.channels, first.format.name, fps, normalizer)
        self.arrays = [normalizer.normalize(m.data) for m in train_motions]
        self.texts = [list(t) for t in dd["train"]["texts"]]
        self.val_motions = split_motions_at(dd["validation"], fps)
        self.val_texts = list(dd["validation"]["text"])
        self.model._words.precompute([t for ts in self.texts for t in ts] + self.val_texts)
        self.meta = {"dataset": str(cfg.data.dataset), "split": "train",
                     "fingerprint": split_fingerprint(dd["train"]), "train_clips": len(self.arrays)}

    def param_groups(self, tc) -> list[dict]:
        return [{"params": list(self.model.parameters())}]

    def batch(self, rng: np.random.Generator, batch_size: int, device) -> tuple:
        picks = rng.integers(0, len(self.arrays), batch_size)
        crops = [training_crop(len(self.arrays[i]), self.cfg.model.max_frames, rng) for i in picks]
        x, lengths = self.model.motion_batch([self.arrays[i][s:s + n]
                                              for i, (s, n) in zip(picks, crops)])
        words, wlen = self.model._words.batch(
            [self.texts[i][rng.integers(len(self.texts[i]))] for i in picks], device)
        shift = int(rng.integers(1, batch_size))  # never 0: a row is no negative of itself
        return x, lengths, words, wlen, shift

    def loss(self, model, batch) -> tuple[torch.Tensor, dict]:
        x, lengths, words, wlen, shift = batch
        text_emb = self.model.encode_text(words, wlen)
        motion_emb = self.model.encode_motion(x, lengths)
        margin = self.cfg.model.margin
        loss_pos = contrastive_loss(text_emb, motion_emb, False, margin)
        loss_neg = contrastive_loss(text_emb, motion_emb.roll(shift, 0), True, margin)
        return loss_pos + loss_neg, {"loss_pos": loss_pos.item(), "loss_neg": loss_neg.item()}

    def validate(self, model) -> dict:
        return validation_scores(model, self.val_texts, self.val_motions)

    def save(self, model, folder: Path, metrics: dict, state_dict) -> None:
        model.save(folder, {**self.meta, "validation": metrics})


def train_extractor(cfg: ExtractorConfig, *, progress: bool = True) -> Path:
    """Train on ``cfg.data.dataset``'s train split; returns ``best/`` (best validation top-3)."""
    from tdmm_lm.training import runner
    return runner.train(cfg, lambda acc: ExtractorTask(cfg, acc), progress=progress)
