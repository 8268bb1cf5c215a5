"""The language model under TDMM-LM: any Hugging Face causal LM, or a tiny one built from a config.

    base = resolve_base(cfg.model, corpus_texts, run / "base")   # hub id, local folder, or built here
    model, tokenizer = load_base(base)                           # the same path for all three
    vocab, added = add_motion_tokens(...)  # then prepare_for_training(model, tokenizer, ...)

The tiny base (``model.base_model: ""``) is a small Qwen3/Llama/GPT-2 built from
``model.tiny`` with a byte-level BPE tokenizer trained on the corpus text and a ChatML chat
template; it is saved as a plain model folder first and then loaded from there exactly like a
hub checkpoint, so the tests exercise the code path real checkpoints take.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import torch

from tdmm_lm.errors import TdmmError
from tdmm_lm.lm.config import LoraSettings, ModelSection, TinyBaseConfig
from tdmm_lm.lm.vocab import MotionVocab, add_motion_tokens, init_motion_rows, resize_for

# ChatML, the tiny base's template (its tokenizer has the three specials below)
CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
SPECIALS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")  # pad/bos, turn start, turn end (= eos)
# for bases without a chat template (GPT-2, base Llamas): plain role names, the base's own eos
# ends a turn, so no token (and no untrained row) is added
PLAIN_CHAT_TEMPLATE = (
    "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}{{ eos_token }}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant: {% endif %}")


def train_bpe_tokenizer(texts: Iterable[str], vocab_size: int):
    """A byte-level BPE tokenizer trained on ``texts``, with ChatML specials and template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=list(SPECIALS),
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    bpe.train_from_iterator(texts, trainer)
    tok = PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token=SPECIALS[0],
                                  pad_token=SPECIALS[0], eos_token=SPECIALS[2])
    tok.chat_template = CHAT_TEMPLATE
    return tok


def tiny_model_config(cfg: TinyBaseConfig, tokenizer):
    """A transformers config for the tiny base (Llama is left untied to cover untied heads)."""
    from transformers import GPT2Config, LlamaConfig, Qwen3Config

    ids = dict(bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
               pad_token_id=tokenizer.pad_token_id)
    if cfg.model_type == "gpt2":
        return GPT2Config(vocab_size=len(tokenizer), n_embd=cfg.hidden_size, n_layer=cfg.num_layers,
                          n_head=cfg.num_heads, n_inner=cfg.intermediate_size,
                          n_positions=cfg.max_positions, tie_word_embeddings=True, **ids)
    kind = Qwen3Config if cfg.model_type == "qwen3" else LlamaConfig
    return kind(vocab_size=len(tokenizer), hidden_size=cfg.hidden_size,
                intermediate_size=cfg.intermediate_size, num_hidden_layers=cfg.num_layers,
                num_attention_heads=cfg.num_heads, num_key_value_heads=cfg.num_kv_heads,
                head_dim=cfg.hidden_size // cfg.num_heads, max_position_embeddings=cfg.max_positions,
                tie_word_embeddings=cfg.model_type == "qwen3", **ids)


def build_tiny_base(cfg: TinyBaseConfig, texts: Iterable[str], folder: str | Path,
                    seed: int = 0) -> Path:
    """Train the BPE tokenizer on ``texts``, build the model, save both to ``folder``."""
    from transformers import AutoModelForCausalLM

    tokenizer = train_bpe_tokenizer(texts, cfg.bpe_vocab)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(tiny_model_config(cfg, tokenizer), dtype=torch.float32)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def resolve_base(cfg: ModelSection, texts: Iterable[str], folder: str | Path, seed: int = 0) -> str:
    """The base to load: ``cfg.base_model`` (hub id or folder), else the tiny base built into
    ``folder`` (reused when already there, so a resumed run keeps its base). A GGUF base is
    converted here (training calls this on the main process first, so it happens once)."""
    if cfg.base_model:
        from tdmm_lm.lm.gguf_base import local_base
        return local_base(cfg.base_model)
    folder = Path(folder)
    if not (folder / "config.json").is_file():
        build_tiny_base(cfg.tiny, texts, folder, seed)
    return str(folder)


def quiet_transformers() -> None:
    """No per-load progress bars: ``describe``/``generate`` own stdout and stderr."""
    from transformers.utils import logging
    logging.disable_progress_bar()


def load_base(name_or_path: str, dtype: str = "float32"):
    """``(model, tokenizer)`` of any causal LM (hub id, folder, or a GGUF file / folder / short
    name, see ``gguf_base``), ready for chat: a chat template, a pad token and eos/pad in the
    generation config. ``trust_remote_code`` is off."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from tdmm_lm.lm.gguf_base import local_base

    quiet_transformers()
    name_or_path = local_base(name_or_path)

    try:
        tokenizer = AutoTokenizer.from_pretrained(name_or_path, trust_remote_code=False)
        model = AutoModelForCausalLM.from_pretrained(name_or_path, dtype=getattr(torch, dtype),
                                                     trust_remote_code=False)
    except (OSError, ValueError) as e:
        raise TdmmError(f"base model {name_or_path!r}: cannot load a causal LM "
                        f"({str(e).splitlines()[0] if str(e) else type(e).__name__}); pass a hub id "
                        "or a folder written by save_pretrained") from None
    if tokenizer.eos_token is None:
        raise TdmmError(f"base model {name_or_path!r}: its tokenizer has no eos token to end a turn")
    if tokenizer.chat_template is None:
        tokenizer.chat_template = PLAIN_CHAT_TEMPLATE
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model, tokenizer


def add_motion_vocab(model, tokenizer, motion_tokenizer, method: str, seed: int = 0
                     ) -> MotionVocab:
    """Motion tokens for ``motion_tokenizer`` in ``tokenizer`` and rows for them in ``model``;
    rows are initialised only when the tokens are new (a base exported by a TDMM-LM run keeps
    its trained rows)."""
    from tdmm_lm.lm.vocab import code_signatures, motion_codebook

    before = len(tokenizer)
    vocab = add_motion_tokens(tokenizer, motion_tokenizer.vocab_size, motion_tokenizer.levels)
    resize_for(model, tokenizer)
    if len(tokenizer) > before:
        per_code = {"codebook": motion_codebook, "decoded": code_signatures}.get(method)
        codebook = per_code(motion_tokenizer) if per_code else None
        init_motion_rows(model, vocab, method, codebook=codebook, seed=seed)
    return vocab


def _module_name(model, module) -> str:
    """The last component of ``module``'s name inside ``model`` (what peft keys match)."""
    return next(name for name, m in model.named_modules() if m is module).rsplit(".", 1)[-1]


def is_tied(model) -> bool:
    out = model.get_output_embeddings()
    return out is not None and out.weight is model.get_input_embeddings().weight


def lora_config(model, vocab: MotionVocab, s: LoraSettings):
    """LoRA on attention and MLP (``all-linear``), plus trainable motion-token rows in the
    input embeddings and, on untied models, the LM head (or its new rows never learn)."""
    from peft import LoraConfig

    ids = vocab.token_ids
    indices = {_module_name(model, model.get_input_embeddings()): ids}
    if not is_tied(model):
        indices[_module_name(model, model.get_output_embeddings())] = ids
    targets = s.target_modules if isinstance(s.target_modules, str) else list(s.target_modules)
    return LoraConfig(r=s.r, lora_alpha=s.alpha, lora_dropout=s.dropout, target_modules=targets,
                      trainable_token_indices=indices, task_type="CAUSAL_LM")


def prepare_for_training(model, vocab: MotionVocab, cfg: ModelSection):
    """The model to optimise: a peft LoRA model (``finetune: lora``) or the model itself."""
    if cfg.gradient_checkpointing:
        # non-reentrant: gradients reach LoRA weights even though the frozen inputs need none
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.config.use_cache = False
    if cfg.finetune == "full":
        return model
    from peft import get_peft_model
    return get_peft_model(model, lora_config(model, vocab, cfg.lora))


def count_parameters(model) -> tuple[int, int]:
    """(trainable, total) parameter counts."""
    params = list(model.parameters())
    return sum(p.numel() for p in params if p.requires_grad), sum(p.numel() for p in params)
