"""``CodeGPT``: a small causal pre-LN transformer that writes motion codes after a prefix of
condition vectors (T2M-GPT's GPT; the LM's "prefix" L2M mode).

    gpt = CodeGPT(num_codes=tok.vocab_size, cond_dim=384, width=256, layers=4, heads=4,
                  max_tokens=200, dropout=0.1)
    logits = gpt(cond, cond_mask, corrupt_codes(codes, codes_mask, pkeep=0.5, num_codes=...),
                 codes_mask)                         # [B, T+1, num_codes+1]
    loss = next_code_loss(logits, codes, codes_mask)
    out = gpt.generate(cond, cond_mask, max_tokens=200, top_k=10,
                       allowed=interleaved_levels(tok.levels, tok.codebook_size))

The sequence the transformer sees is ``[c_1 … c_Lc, START, x_0 … x_{T-1}]``:

- ``c`` are condition vectors ``[B, Lc, cond_dim]`` projected to ``width`` (T2M-GPT: Lc = 1, a
  sentence embedding; prefix mode: one per word piece). Padded slots (``cond_mask`` False) are
  masked out as attention keys, so padding a condition changes no output. Condition slots carry
  no position embedding: text-encoder features already encode word order, and this keeps every
  code's position independent of how long (or how padded) the condition is.
- ``START`` is a learned vector: its output predicts ``x_0`` at the same place for every sample
  whatever the condition length; the output over ``x_i`` predicts ``x_{i+1}``, and the output
  over ``x_{T-1}`` predicts END. So position i of the logits predicts code i and position T
  predicts END.
- Code embeddings have ``num_codes + 2`` rows: the codes, END (= ``num_codes``) and PAD
  (= ``num_codes + 1``, input only). Logits have ``num_codes + 1`` columns (codes + END),
  from a separate head or, with ``tie_embeddings``, from the embedding rows themselves.

Condition slots attend to each other both ways (a prefix LM); code positions attend to every real
condition slot and causally to START and earlier codes.

Residual (multi-level) tokenizers write ``levels`` interleaved codes per time step (level l's
code c is ``l*K + c``), so ``num_codes = tokenizer.vocab_size`` and a sequence must end on a whole
step. ``interleaved_levels(levels, K)`` is an ``allowed`` rule for ``generate`` that permits only
level ``t % levels`` codes at position t and END only at step boundaries, so samples always
decode. Callers that skip it must trim to a multiple of ``levels`` themselves.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

# allowed(t, prefix) -> [B, num_codes + 1] bool: which outputs may be sampled at position t,
# given the codes sampled so far (prefix [B, t]).
AllowedFn = Callable[[int, torch.Tensor], torch.Tensor]
IGNORE = -100  # cross-entropy target for positions after END


class _Block(nn.Module):
    """Pre-LN transformer block: x + attn(ln(x)), then x + mlp(ln(x))."""

    def __init__(self, width: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.ln2 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width), nn.GELU(), nn.Linear(4 * width, width),
                                 nn.Dropout(dropout))
        self.dropout = dropout

    def forward(self, x: torch.Tensor, allowed: torch.Tensor,
                cache: list | None = None) -> torch.Tensor:
        """``x [B, S, W]``, ``allowed [B, 1, S, K]`` (True: query row may attend to key column).
        Without ``cache`` the keys are ``x``'s own (K = S); with one (a list holding the earlier
        positions' keys and values, or empty), ``x`` is the newest positions, its keys and
        values are appended to the cache and the queries see all K cached positions."""
        b, s, w = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(w, dim=-1)
        q, k, v = (t.view(b, s, self.heads, w // self.heads).transpose(1, 2) for t in (q, k, v))
        if cache is not None:
            if cache:
                k, v = torch.cat([cache[0], k], 2), torch.cat([cache[1], v], 2)
            cache[:] = [k, v]
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed,
                                           dropout_p=self.dropout if self.training else 0.0)
        x = x + F.dropout(self.proj(y.transpose(1, 2).reshape(b, s, w)), self.dropout, self.training)
        return x + self.mlp(self.ln2(x))


class CodeGPT(nn.Module):
    """Causal transformer over motion codes, conditioned on a prefix of vectors (see module doc)."""

    def __init__(self, num_codes: int, cond_dim: int, width: int, layers: int, heads: int,
                 max_tokens: int, dropout: float = 0.1, tie_embeddings: bool = False) -> None:
        super().__init__()
        if width % heads:
            raise ValueError(f"width {width} must be a multiple of heads {heads}")
        if min(num_codes, cond_dim, width, layers, heads, max_tokens) < 1:
            raise ValueError("num_codes, cond_dim, width, layers, heads and max_tokens must be >= 1")
        self.num_codes, self.max_tokens = num_codes, max_tokens
        self.end, self.pad = num_codes, num_codes + 1  # special ids: END (also an output), PAD (input only)
        self.cond_proj = nn.Linear(cond_dim, width)
        self.start = nn.Parameter(torch.zeros(width))
        self.code_emb = nn.Embedding(num_codes + 2, width)
        self.pos_emb = nn.Embedding(max_tokens + 1, width)  # START + up to max_tokens codes
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(_Block(width, heads, dropout) for _ in range(layers))
        self.ln_f = nn.LayerNorm(width)
        # tied: the output row of a code is its input embedding (GPT-2), so "repeat the code
        # I attend to" needs no separate learning per code; faster to learn in short runs
        self.head = None if tie_embeddings else nn.Linear(width, num_codes + 1, bias=False)
        self.apply(self._init)
        nn.init.normal_(self.start, std=0.02)
        for block in self.blocks:  # GPT-2: scale residual projections by depth so activations stay O(1)
            nn.init.normal_(block.proj.weight, std=0.02 / math.sqrt(2 * layers))
            nn.init.normal_(block.mlp[2].weight, std=0.02 / math.sqrt(2 * layers))

    @staticmethod
    def _init(m: nn.Module) -> None:
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def forward(self, cond: torch.Tensor, cond_mask: torch.Tensor, codes: torch.Tensor,
                codes_mask: torch.Tensor | None = None) -> torch.Tensor:
        """``cond [B, Lc, cond_dim]``, ``cond_mask [B, Lc]`` bool, ``codes [B, T]`` long (T may
        be 0), ``codes_mask [B, T]`` bool (None: all real) → logits ``[B, T+1, num_codes+1]``."""
        b, lc, _ = cond.shape
        t = codes.shape[1]
        if t > self.max_tokens:
            raise ValueError(f"{t} codes exceed max_tokens={self.max_tokens}")
        if codes_mask is not None:
            codes = codes.masked_fill(~codes_mask.bool(), self.pad)
        start = self.start.expand(b, 1, -1)
        tokens = torch.cat([start, self.code_emb(codes)], dim=1) + self.pos_emb.weight[: t + 1]
        x = self.drop(torch.cat([self.cond_proj(cond), tokens], dim=1))  # [B, Lc+T+1, W]
        allowed = self._attention_mask(cond_mask.bool(), t + 1)
        for block in self.blocks:
            x = block(x, allowed)
        h = self.ln_f(x[:, lc:])
        if self.head is None:
            return F.linear(h, self.code_emb.weight[: self.num_codes + 1])
        return self.head(h)

    @staticmethod
    def _attention_mask(cond_mask: torch.Tensor, n: int) -> torch.Tensor:
        """``[B, 1, Lc+n, Lc+n]`` bool: every row sees the real condition slots; code rows also
        see START and earlier codes; condition rows see no codes. The diagonal is always open so
        a padded slot's row is never empty (an all-masked row would give NaN)."""
        b, lc = cond_mask.shape
        s = lc + n
        device = cond_mask.device
        causal = torch.ones(n, n, dtype=torch.bool, device=device).tril()
        allowed = torch.zeros(b, s, s, dtype=torch.bool, device=device)
        allowed[:, :, :lc] = cond_mask[:, None, :]
        allowed[:, lc:, lc:] = causal
        allowed |= torch.eye(s, dtype=torch.bool, device=device)
        return allowed[:, None]

    @torch.no_grad()
    def generate(self, cond: torch.Tensor, cond_mask: torch.Tensor, *, max_tokens: int,
                 top_k: int | None = None, temperature: float = 1.0, greedy: bool = False,
                 generator: torch.Generator | None = None,
                 allowed: AllowedFn | None = None, guidance: float = 1.0) -> list[list[int]]:
        """Sample codes after ``cond [B, Lc, cond_dim]`` / ``cond_mask [B, Lc]`` until each
        sample emits END or reaches ``max_tokens`` (capped at ``self.max_tokens``). Returns one
        code list per sample, END excluded. ``greedy`` takes the argmax; otherwise softmax over
        ``logits / temperature``, restricted to the ``top_k`` best when given. ``allowed`` (see
        ``AllowedFn``) masks outputs per position; ``generator`` makes sampling reproducible.
        ``guidance`` != 1 is classifier-free guidance: the logits become
        ``u + guidance * (c - u)`` with ``u`` the logits under no condition at all (every slot
        masked), for a model trained with the condition sometimes dropped.
        Each step runs only the newest position, on cached keys and values (``_Incremental``)."""
        max_tokens = min(max_tokens, self.max_tokens)
        b = cond.shape[0]
        codes = torch.empty(b, 0, dtype=torch.long, device=cond.device)
        done = torch.zeros(b, dtype=torch.bool, device=cond.device)
        lengths = torch.full((b,), max_tokens, dtype=torch.long)
        if guidance != 1.0:   # the conditional and the unconditional pass in one batch
            cond = torch.cat([cond, cond])
            cond_mask = torch.cat([cond_mask.bool(), torch.zeros_like(cond_mask, dtype=torch.bool)])
        step = _Incremental(self, cond, cond_mask)
        for t in range(max_tokens):
            last = None if t == 0 else codes[:, -1].repeat(len(cond) // b)
            logits = step(last).float()   # [B, num_codes+1] (x2 with guidance)
            if guidance != 1.0:
                logits = logits[b:] + guidance * (logits[:b] - logits[b:])
            if allowed is not None:
                logits = logits.masked_fill(~allowed(t, codes).to(logits.device), float("-inf"))
            nxt = self._pick(logits, top_k, temperature, greedy, generator)
            newly = (nxt == self.end) & ~done
            lengths[newly.cpu()] = t
            done |= newly
            codes = torch.cat([codes, nxt.masked_fill(done, self.pad)[:, None]], dim=1)
            if bool(done.all()):
                break
        return [row[:n].tolist() for row, n in zip(codes.cpu(), lengths.tolist())]

    @staticmethod
    def _pick(logits: torch.Tensor, top_k: int | None, temperature: float, greedy: bool,
              generator: torch.Generator | None) -> torch.Tensor:
        """One id per row of ``logits [B, V]``."""
        if greedy:
            return logits.argmax(-1)
        if temperature <= 0:
            raise ValueError("temperature must be > 0 (use greedy=True for argmax)")
        logits = logits / temperature
        if top_k is not None and top_k < logits.shape[-1]:
            kth = logits.topk(top_k, dim=-1).values[:, -1:]
            logits = logits.masked_fill(logits < kth, float("-inf"))
        probs = logits.softmax(-1)
        device = generator.device if generator is not None else probs.device
        return torch.multinomial(probs.to(device), 1, generator=generator).squeeze(1).to(logits.device)


class _Incremental:
    """``CodeGPT``'s forward one position at a time with a key/value cache: the first call
    (``code`` None) runs the condition slots and START, each later call the code just written.
    Gives the logits ``CodeGPT.forward`` gives at that position: condition rows never attend to
    codes, so their cached keys stay valid, and a new code row may attend to every earlier
    real slot."""

    def __init__(self, gpt: CodeGPT, cond: torch.Tensor, cond_mask: torch.Tensor) -> None:
        self.gpt, self.cond, self.cond_mask = gpt, cond, cond_mask.bool()
        self.caches: list[list] = [[] for _ in gpt.blocks]
        self.t = 0

    def __call__(self, code: torch.Tensor | None) -> torch.Tensor:
        """Logits ``[B, num_codes+1]`` for the next code after ``code [B]`` (None: the first)."""
        gpt, b, lc = self.gpt, self.cond.shape[0], self.cond.shape[1]
        if code is None:
            start = gpt.start.expand(b, 1, -1) + gpt.pos_emb.weight[:1]
            x = torch.cat([gpt.cond_proj(self.cond), start], dim=1)
            allowed = gpt._attention_mask(self.cond_mask, 1)
        else:
            self.t += 1
            x = gpt.code_emb(code)[:, None] + gpt.pos_emb.weight[self.t]
            seen = torch.ones(b, 1, 1, lc + self.t + 1, dtype=torch.bool, device=x.device)
            seen[:, 0, 0, :lc] = self.cond_mask
            allowed = seen
        for block, cache in zip(gpt.blocks, self.caches):
            x = block(x, allowed, cache)
        h = gpt.ln_f(x[:, -1])
        if gpt.head is None:
            return F.linear(h, gpt.code_emb.weight[: gpt.num_codes + 1])
        return gpt.head(h)


def next_code_loss(logits: torch.Tensor, codes: torch.Tensor, codes_mask: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of ``logits [B, T+1, V]`` against each sample's real codes followed
    by END (``V - 1``); positions after END are ignored. ``codes [B, T]``, ``codes_mask [B, T]``
    (real codes first, padding after)."""
    return F.cross_entropy(logits.transpose(1, 2), code_targets(codes, codes_mask, logits.shape[-1] - 1))


def code_targets(codes: torch.Tensor, codes_mask: torch.Tensor, end: int) -> torch.Tensor:
    """``[B, T+1]``: the real codes, then ``end`` at each sample's length, then ``IGNORE``."""
    b, t = codes.shape
    lengths = codes_mask.long().sum(1)
    targets = torch.full((b, t + 1), IGNORE, dtype=torch.long, device=codes.device)
    targets[:, :t] = codes.masked_fill(~codes_mask.bool(), IGNORE)
    targets[torch.arange(b, device=codes.device), lengths] = end
    return targets


def corrupt_codes(codes: torch.Tensor, codes_mask: torch.Tensor, *, pkeep: float, num_codes: int,
                  levels: int = 1, generator: torch.Generator | None = None) -> torch.Tensor:
    """T2M-GPT's "pkeep" trick: each real input code is kept with probability ``pkeep`` and
    otherwise replaced by a random code, so training inputs look like the model's own imperfect
    samples. With ``levels`` > 1 (interleaved residual codes) the replacement stays within the
    code's level (ids ``l*K .. (l+1)*K - 1``, K = num_codes // levels). Targets stay the
    originals. ``codes [B, T]`` → ``[B, T]``."""
    if pkeep >= 1.0:
        return codes
    k = num_codes // levels
    kw = {"generator": generator, "device": generator.device if generator is not None else codes.device}
    keep = torch.rand(codes.shape, **kw).to(codes.device) < pkeep
    random = torch.randint(0, k, codes.shape, **kw).to(codes.device) + (codes // k).clamp(max=levels - 1) * k
    return torch.where(keep | ~codes_mask.bool(), codes, random)


def interleaved_level_mask(levels: int, codebook_size: int, positions: int,
                           device: torch.device | str | None = None) -> torch.Tensor:
    """``[positions, levels * codebook_size + 1]`` bool: position t may hold only level
    ``t % levels`` codes, and END (the last column) only at a step boundary after at least one
    whole step. Training can mask logits with it so the loss is spent on the choice the sampler
    actually makes (which code within the level), not on learning the interleaving."""
    vocab = levels * codebook_size
    t = torch.arange(positions, device=device)[:, None]
    ids = torch.arange(vocab + 1, device=device)[None]
    mask = (ids // codebook_size == t % levels) & (ids < vocab)
    mask[:, vocab] = (t[:, 0] > 0) & (t[:, 0] % levels == 0)
    return mask


def interleaved_levels(levels: int, codebook_size: int) -> AllowedFn:
    """``allowed`` rule for interleaved residual codes (``interleaved_level_mask`` at one
    position), so every sample decodes to whole token steps."""
    def allowed(t: int, prefix: torch.Tensor) -> torch.Tensor:
        row = interleaved_level_mask(levels, codebook_size, t + 1, prefix.device)[t]
        return row.expand(prefix.shape[0], -1)
    return allowed


def exact_lengths(rule: AllowedFn, lengths: Sequence[int | None]) -> AllowedFn:
    """``rule`` with per-row lengths: a row with a length may not write END before it and must
    write END at it (so it gets exactly that many codes); rows with None keep ``rule``."""
    need = torch.tensor([-1 if n is None else int(n) for n in lengths])

    def allowed(t: int, prefix: torch.Tensor) -> torch.Tensor:
        mask = rule(t, prefix).clone()   # the rule may hand out a broadcast view
        fixed = (need >= 0).to(mask.device)
        early, due = fixed & (need > t).to(mask.device), fixed & (need <= t).to(mask.device)
        mask[early, -1] = False
        mask[due] = False
        mask[due, -1] = True
        return mask
    return allowed
