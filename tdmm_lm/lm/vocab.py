"""Motion tokens in a language model's vocabulary: one token per motion code plus span markers.

    vocab = add_motion_tokens(tokenizer, motion_tokenizer.vocab_size)   # idempotent
    init_motion_rows(model, vocab, "mean_noise")                        # after resizing
    text = vocab.to_text(codes)      # "<motion_start><motion_0007>...<motion_end>"
    codes = vocab.from_text(text)    # survives tokenizer.decode: tokens are plain added tokens

Tokens are added with ``add_tokens`` (not as special tokens: ``skip_special_tokens=True`` would
drop them when decoding) and joined without spaces (a space next to an added token becomes a
token of its own). Code ``c`` of the motion tokenizer's flat layout (level ``l`` code ``k`` is
``l*K + k``) is ``<motion_{c:04d}>``.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import Sequence

import torch

from tdmm_lm.errors import TdmmError

MOTION_START = "<motion_start>"   # opens a motion span (prompted before L2M decoding)
MOTION_END = "<motion_end>"       # closes it; the L2M model learns to write it
_TOKEN_RE = re.compile(r"<motion_(\d+)>")


def motion_token(code: int) -> str:
    return f"<motion_{code:04d}>"


@dataclass(frozen=True)
class MotionVocab:
    """Where the motion tokens sit in one LM tokenizer.

    ``code_ids[c]`` is the token id of code ``c``; ``levels`` and ``codebook_size`` describe the
    motion tokenizer's layout (token step ``t`` writes ``levels`` codes, level ``l`` in
    ``[l*K, (l+1)*K)``), so a decoder can tell which code may come next."""

    code_ids: tuple[int, ...]
    start_id: int
    end_id: int
    levels: int = 1

    @property
    def num_codes(self) -> int:
        return len(self.code_ids)

    @property
    def codebook_size(self) -> int:
        return self.num_codes // self.levels

    @property
    def token_ids(self) -> list[int]:
        """Every id this vocabulary added: codes and both markers."""
        return [*self.code_ids, self.start_id, self.end_id]

    @classmethod
    def from_tokenizer(cls, tokenizer, num_codes: int, levels: int = 1) -> MotionVocab:
        """The vocabulary of a tokenizer that already holds the motion tokens."""
        names = [motion_token(c) for c in range(num_codes)] + [MOTION_START, MOTION_END]
        vocab = tokenizer.get_vocab()
        missing = [n for n in names if n not in vocab]
        if missing:
            raise TdmmError(f"the LM tokenizer lacks {len(missing)} motion tokens (e.g. {missing[0]}); "
                            "it was not saved by a TDMM-LM run with this motion tokenizer")
        if num_codes % levels:
            raise ValueError(f"num_codes {num_codes} is not a multiple of levels {levels}")
        ids = [vocab[n] for n in names]
        return cls(tuple(ids[:num_codes]), ids[-2], ids[-1], levels)

    # ---- codes <-> text / ids ------------------------------------------------------------------
    def to_text(self, codes: Sequence[int]) -> str:
        """A motion span as text, markers included."""
        return MOTION_START + "".join(motion_token(int(c)) for c in codes) + MOTION_END

    def coarse(self, codes: Sequence[int], levels: int = 0) -> list[int]:
        """The codes of the first ``levels`` residual levels of each step (0: all of them):
        what an M2L prompt shows when the LM reads only the coarse levels."""
        if not levels or levels >= self.levels:
            return list(codes)
        return [int(c) for i, c in enumerate(codes) if i % self.levels < levels]

    def from_text(self, text: str) -> list[int]:
        """Every motion code written in ``text``, in order (markers and other text ignored)."""
        return [int(m) for m in _TOKEN_RE.findall(text) if int(m) < self.num_codes]

    def to_ids(self, codes: Sequence[int]) -> list[int]:
        return [self.code_ids[int(c)] for c in codes]

    def code_of(self) -> dict[int, int]:
        """token id → code."""
        return {tid: c for c, tid in enumerate(self.code_ids)}

    def level_ids(self, level: int) -> list[int]:
        """Token ids allowed at level ``level`` of a token step."""
        k = self.codebook_size
        return list(self.code_ids[level * k:(level + 1) * k])

    def extract_codes(self, ids: Sequence[int], max_codes: int | None = None
                      ) -> tuple[list[int], list[str]]:
        """The longest valid motion in an LM's output ids, and what was wrong with the rest.

        Reading starts after the first ``<motion_start>`` (or at the first motion token when
        there is none) and stops at ``<motion_end>``, at the first token that is not a motion
        code, at a code on the wrong residual level, or at ``max_codes``; an incomplete last
        token step is dropped. Problems are short phrases (empty for well-formed output)."""
        ids = [int(i) for i in ids]
        code_of, problems = self.code_of(), []
        if self.start_id in ids:
            ids = ids[ids.index(self.start_id) + 1:]
        else:
            problems.append("no <motion_start> marker")
            first = next((i for i, t in enumerate(ids) if t in code_of), len(ids))
            ids = ids[first:]
        codes: list[int] = []
        ended = False
        for t in ids:
            if t == self.end_id:
                ended = True
                break
            if t not in code_of:
                problems.append(f"a non-motion token (id {t}) inside the motion span")
                break
            code = code_of[t]
            if code // self.codebook_size != len(codes) % self.levels:
                problems.append(f"code {code} on the wrong residual level")
                break
            if max_codes is not None and len(codes) >= max_codes:
                problems.append(f"longer than the bound of {max_codes} codes")
                break
            codes.append(code)
        else:
            if not ended:
                problems.append("no <motion_end> marker")
        cut = len(codes) - len(codes) % self.levels
        if cut < len(codes):
            problems.append("an incomplete last token step")
        return codes[:cut], problems


def add_motion_tokens(tokenizer, num_codes: int, levels: int = 1) -> MotionVocab:
    """Add the motion tokens and markers to ``tokenizer`` (those it lacks) and return where they
    are. Resize the model's embeddings to ``len(tokenizer)`` afterwards (``resize_for``)."""
    names = [motion_token(c) for c in range(num_codes)] + [MOTION_START, MOTION_END]
    have = tokenizer.get_vocab()
    tokenizer.add_tokens([n for n in names if n not in have])
    return MotionVocab.from_tokenizer(tokenizer, num_codes, levels)


def resize_for(model, tokenizer) -> int:
    """Grow the embeddings to hold every tokenizer id (never shrink: hub checkpoints pad their
    matrices past ``len(tokenizer)``); returns the number of rows."""
    rows = model.get_input_embeddings().weight.shape[0]
    if len(tokenizer) > rows:
        # mean_resizing would make every new row (nearly) the same: init_motion_rows does better
        model.resize_token_embeddings(len(tokenizer), mean_resizing=False)
        rows = len(tokenizer)
    return rows


@torch.no_grad()
def init_motion_rows(model, vocab: MotionVocab, method: str = "mean_noise",
                     codebook: torch.Tensor | None = None, seed: int = 0) -> None:
    """Give the motion rows distinguishable starting values (input and, when untied, output).

    ``mean_noise``: the mean of the existing rows + Gaussian noise with their per-dimension std.
    ``codebook`` / ``decoded``: the mean + a per-code matrix ``[num_codes, C]`` (the VQ code
    vectors, or ``code_signatures``) through a fixed random projection scaled to the same
    per-dimension std, so codes that are close in motion start close; the markers get mean +
    noise."""
    gen = torch.Generator().manual_seed(seed)
    new = torch.tensor(vocab.token_ids)
    old_mask = torch.ones(model.get_input_embeddings().weight.shape[0], dtype=torch.bool)
    old_mask[new] = False
    matrices = [model.get_input_embeddings().weight]
    out = model.get_output_embeddings()
    if out is not None and out.weight.data_ptr() != matrices[0].data_ptr():
        matrices.append(out.weight)
    for w in matrices:
        ref = w[old_mask].float()
        mean, std = ref.mean(0), ref.std(0)
        rows = mean + torch.randn(len(new), w.shape[1], generator=gen) * std
        if method in ("codebook", "decoded"):
            if codebook is None or len(codebook) != vocab.num_codes:
                raise ValueError(f"{method} init needs a [num_codes, C] matrix from the motion tokenizer")
            cb = codebook.float()
            proj = torch.randn(cb.shape[1], w.shape[1], generator=gen)
            z = (cb - cb.mean(0)) @ proj
            # mostly the projected matrix, some of the noise: codes that decode alike stay
            # distinguishable (variance 0.95^2 + 0.3^2 ~ 1, as the other rows)
            noise = rows[:vocab.num_codes] - mean
            rows[:vocab.num_codes] = mean + 0.95 * z / z.std(0).clamp(min=1e-8) * std + 0.3 * noise
        elif method != "mean_noise":
            raise ValueError(f"unknown motion_init {method!r}")
        w[new] = rows.to(w.dtype)


def motion_codebook(motion_tokenizer) -> torch.Tensor:
    """The motion tokenizer's code vectors in flat-code order ``[levels * K, C]``."""
    return motion_tokenizer.model.quantizer.code_vectors().cpu()


@torch.no_grad()
def code_signatures(motion_tokenizer, steps: int = 3) -> torch.Tensor:
    """What each code does to the face, ``[levels * K, D]`` in flat-code order: the decoder's
    mean output (normalised channels) for the code's vector held for ``steps`` token steps,
    less its output for the zero vector. For a residual level this is the code's linearised
    contribution. Codes that move the same channels get close rows, whatever their latent
    distance, which is what a reader of the codes needs to tell a smile from a frown."""
    model = motion_tokenizer.model
    vectors = model.quantizer.code_vectors()
    z = torch.cat([vectors, torch.zeros_like(vectors[:1])])[:, :, None].expand(-1, -1, steps)
    mask = torch.ones(len(z), 1, steps, device=z.device)
    out = model.decoder(z.contiguous(), mask).mean(-1)      # [N + 1, D]
    return (out[:-1] - out[-1:]).cpu()


def warn_problems(problems: Sequence[str], where: str) -> None:
    if problems:
        warnings.warn(f"{where}: malformed motion output ({'; '.join(problems)}); "
                      "kept the longest valid motion", stacklevel=3)
