"""The TDMM-LM run configuration: typed sections, validated, loaded from / saved to YAML.

    cfg = LMConfig.from_yaml("configs/lm/tiny.yaml", ["train.steps=100"])   # errors name file and key
    cfg.save_yaml(run / "config.yaml")                 # the resolved config, beside checkpoints
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tdmm_lm.training.config import TrainSection
from tdmm_lm.yaml_config import ConfigMixin, check

MODEL_TYPES = ("qwen3", "llama", "gpt2")
TASKS = ("describe", "chat", "generate")


@dataclass
class TinyBaseConfig:
    """The config-built base LM used when ``model.base_model`` is empty (tests, offline, CPU)."""

    model_type: str = "qwen3"    # qwen3 | llama | gpt2 (a transformers config family)
    hidden_size: int = 192
    num_layers: int = 3
    num_heads: int = 4
    num_kv_heads: int = 2        # grouped-query heads (qwen3/llama)
    intermediate_size: int = 512
    # byte-level BPE trained on the corpus text; small, as the LM head dominates small models
    bpe_vocab: int = 1024
    max_positions: int = 512

    def validate(self) -> None:
        check(self.model_type in MODEL_TYPES, "model.tiny.model_type", f"must be one of {MODEL_TYPES}")
        for name in ("hidden_size", "num_layers", "num_heads", "num_kv_heads", "intermediate_size",
                     "max_positions"):
            check(getattr(self, name) >= 1, f"model.tiny.{name}", "must be >= 1")
        check(self.hidden_size % self.num_heads == 0, "model.tiny.hidden_size",
               "must be a multiple of num_heads")
        check(self.num_heads % self.num_kv_heads == 0, "model.tiny.num_kv_heads",
               "must divide num_heads")
        check(self.bpe_vocab >= 300, "model.tiny.bpe_vocab", "must be >= 300 (256 bytes + specials)")


@dataclass
class LoraSettings:
    r: int = 16
    alpha: int = 32
    dropout: float = 0.05
    target_modules: Any = "all-linear"   # peft: "all-linear" (attention + MLP) or a list of names

    def validate(self) -> None:
        check(self.r >= 1 and self.alpha > 0, "model.lora.r/alpha", "must be positive")
        check(0 <= self.dropout < 1, "model.lora.dropout", "must be in [0, 1)")


@dataclass
class ModelSection:
    # hub id or local folder of any causal LM, a .gguf file (or a folder holding one), or a
    # short name ("smollm2-135m-instruct", lm/gguf_base.py); "" = the tiny config-built base
    base_model: str = ""
    tiny: TinyBaseConfig = field(default_factory=TinyBaseConfig)
    finetune: str = "full"       # full | lora (LoRA on attention + MLP, motion-token rows trainable)
    lora: LoraSettings = field(default_factory=LoraSettings)
    # new rows: mean_noise | codebook (VQ code vectors) | decoded (what each code does to the
    # face, vocab.code_signatures), the last two through a fixed random projection
    motion_init: str = "mean_noise"
    dtype: str = "float32"       # weights when loading a checkpoint: float32 | bfloat16
    gradient_checkpointing: bool = False

    def validate(self) -> None:
        self.tiny.validate()
        self.lora.validate()
        check(self.finetune in ("full", "lora"), "model.finetune", "must be 'full' or 'lora'")
        check(self.motion_init in ("mean_noise", "codebook", "decoded"), "model.motion_init",
               "must be 'mean_noise', 'codebook' or 'decoded'")
        check(self.dtype in ("float32", "bfloat16"), "model.dtype", "must be float32 or bfloat16")


@dataclass
class L2MSection:
    """How prompts become motion: ``vocab`` (the LM writes motion tokens) or ``prefix`` (a motion
    transformer conditioned on word features through a learned projection, TDMM-LM paper)."""

    mode: str = "vocab"
    # prefix mode: train the LM and the prefix model in one loop ("joint"), or only one of them
    # ("lm": M2L only; "prefix": L2M only), in two runs that can go on two cores or machines at
    # once and are joined by `tdmm-lm llm attach-l2m` (lm/attach.py)
    train: str = "joint"
    # prefix mode's word features: "minilm" (packaged), an encoder id/folder, or "lm" (LM states)
    text_features: str = "minilm"
    layers: int = 4              # prefix motion transformer
    width: int = 256
    heads: int = 4
    dropout: float = 0.1
    tie_embeddings: bool = False  # prefix model: output rows = code embeddings (learns faster)
    sentence_slot: bool = False  # prefix model also reads the prompt's sentence embedding (prefix.py)
    word_dropout: float = 0.0    # share of training prompts read through the sentence slot alone
    cond_dropout: float = 0.0    # share of training prompts hidden whole (for guidance)
    # a file of the frozen encoder's word features for the training prompts: read when it
    # exists, written when not ("" = encode them at the start of every run)
    feature_file: str = ""
    guidance: float = 1.0        # classifier-free guidance scale at sampling; 1 = off
    lr: float = 0.0              # prefix model learning rate; 0 = train.lr
    # T2M-GPT's "pkeep": each input motion code of an L2M example is kept with this probability
    # and otherwise replaced by a random code of its level (targets stay true), so the model
    # cannot predict from the codes so far alone and must read the prompt; 1.0 = off
    pkeep: float = 1.0

    def validate(self) -> None:
        check(self.mode in ("vocab", "prefix"), "l2m.mode", "must be 'vocab' or 'prefix'")
        check(self.train in ("joint", "lm", "prefix"), "l2m.train", "must be 'joint', 'lm' or 'prefix'")
        check(self.train == "joint" or self.mode == "prefix", "l2m.train",
              f"'{self.train}' trains one half of prefix mode: set l2m.mode: prefix")
        check(0 < self.pkeep <= 1, "l2m.pkeep", "must be in (0, 1]")
        check(self.layers >= 1 and self.heads >= 1 and self.width % self.heads == 0,
               "l2m.layers/heads/width", "need layers, heads >= 1 and width a multiple of heads")
        check(0 <= self.dropout < 1 and self.lr >= 0, "l2m.dropout/lr", "dropout in [0, 1), lr >= 0")
        check(0 <= self.word_dropout < 1, "l2m.word_dropout", "must be in [0, 1)")
        check(0 <= self.cond_dropout < 1, "l2m.cond_dropout", "must be in [0, 1)")
        check(self.guidance > 0, "l2m.guidance", "must be > 0 (1 = no guidance)")
        check(self.guidance == 1 or self.cond_dropout > 0, "l2m.guidance",
              "needs l2m.cond_dropout > 0 (the model must have learned the unconditional case)")
        check(self.word_dropout == 0 or self.sentence_slot, "l2m.word_dropout",
              "needs l2m.sentence_slot: true (hidden words leave only the sentence slot)")


@dataclass
class DataSection:
    dataset: str = ""            # DatasetDict folder with a `codes` column; --dataset overrides
    motion_tokenizer: str = ""   # the tokenizer that wrote `codes`; --motion-tokenizer overrides
    tasks: dict = field(default_factory=lambda: {"describe": 1.0, "chat": 1.0, "generate": 1.0})
    duration_prob: float = 0.5   # share of L2M prompts that state the duration ("for 3.5 seconds")
    # extra L2M prompts per FaceScript training clip, re-described with WordNet's wider words
    # for its actions (data/facescript/lexicon.py); descriptions the LM writes keep FaceScript's
    reworded: int = 0
    # what an M2L answer is: any of the clip's paraphrases, or always its canonical text (one
    # wording and FaceScript's time order: less for a small LM to learn)
    describe_targets: str = "paraphrases"
    max_length: int = 384        # tokens per example; longer ones are cut (the loss only sees the kept part)
    max_val_samples: int = 200   # validation clips per pass (speed)
    # residual levels of each motion step an M2L prompt shows (0: all); 1 = the coarse level
    # only: half the prompt of a 2-level tokenizer, and the level that says which action it is
    m2l_levels: int = 0

    def validate(self) -> None:
        bad = set(self.tasks) - set(TASKS)
        check(not bad, "data.tasks", f"unknown task(s) {sorted(bad)}; use {TASKS}")
        check(all(float(w) >= 0 for w in self.tasks.values()) and sum(self.tasks.values()) > 0,
               "data.tasks", "weights must be >= 0 and not all 0")
        check(0 <= self.duration_prob <= 1, "data.duration_prob", "must be in [0, 1]")
        check(self.m2l_levels >= 0, "data.m2l_levels", "must be >= 0 (0: all levels)")
        check(self.reworded >= 0, "data.reworded", "must be >= 0 (0: off)")
        check(self.describe_targets in ("paraphrases", "canonical"), "data.describe_targets",
              "must be 'paraphrases' or 'canonical'")
        check(self.max_length >= 32 and self.max_val_samples >= 1, "data.max_length/max_val_samples",
               "must be >= 32 / >= 1")


@dataclass
class GenerationSection:
    """Decoding defaults of the saved model (``TDMMLM`` reads them)."""

    describe_temperature: float = 0.0   # 0 = greedy (a description should not depend on the seed)
    generate_temperature: float = 1.0   # motion sampling, as T2M-GPT
    top_k: int = 0                       # 0 = no top-k cut
    max_new_tokens: int = 96             # text answers
    max_seconds: float = 10.0            # L2M length bound when no length is asked for; also the
                                         # longest motion M2L reads at once (longer: by window)

    def validate(self) -> None:
        check(self.describe_temperature >= 0 and self.generate_temperature >= 0,
               "generation.*_temperature", "must be >= 0")
        check(self.top_k >= 0 and self.max_new_tokens >= 1 and self.max_seconds > 0,
               "generation.top_k/max_new_tokens/max_seconds", "must be >= 0 / >= 1 / > 0")


@dataclass
class LMConfig(ConfigMixin):
    model: ModelSection = field(default_factory=ModelSection)
    l2m: L2MSection = field(default_factory=L2MSection)
    data: DataSection = field(default_factory=DataSection)
    train: TrainSection = field(default_factory=lambda: TrainSection(out="runs/lm"))
    generation: GenerationSection = field(default_factory=GenerationSection)

    def __post_init__(self) -> None:
        for section in (self.model, self.l2m, self.data, self.train, self.generation):
            section.validate()
