"""Every baseline, registered once: its kind and where its parts live.

    from tdmm_lm.baselines.registry import BASELINES, baseline
    baseline("mdm").config()                 # MDMConfig with its defaults
    baseline("t2m-gpt").model_class()        # T2MGPT (imported now)

The config reader (``model:`` section by ``kind``), the training loop (``training`` module),
the checkpoint loader (``model``), the generator registry (``generator``, read by
``tdmm_lm.generators``) and the ``tdmm-lm baseline train KIND`` choices all read this table;
a new baseline adds one ``Baseline`` line here and its folder (configuration.py, modeling.py,
training.py, generator.py). Importing this module imports no torch.
"""

from __future__ import annotations

from dataclasses import dataclass

from tdmm_lm.baselines.mdm.configuration import MDMConfig
from tdmm_lm.baselines.t2m_gpt.configuration import T2MGPTConfig
from tdmm_lm.errors import TdmmError


@dataclass(frozen=True)
class Baseline:
    kind: str           # the config's ``kind``, the checkpoint's ``generator.json`` kind
    config: type        # the dataclass of the config's ``model:`` section
    training: str       # module whose ``setup(cfg, dd, bank)`` returns a ``data.TrainingSetup``
    model: str          # "module:Class" of the network (``save_pretrained`` / ``from_pretrained``)
    generator: str      # "module:function" builder ``(checkpoint, context) -> MotionGenerator``

    def model_class(self) -> type:
        from tdmm_lm.generators import import_target
        return import_target(self.model)


BASELINES: dict[str, Baseline] = {b.kind: b for b in (
    Baseline("mdm", MDMConfig, "tdmm_lm.baselines.mdm.training",
             "tdmm_lm.baselines.mdm.modeling:MDM", "tdmm_lm.baselines.mdm.generator:build_generator"),
    Baseline("t2m-gpt", T2MGPTConfig, "tdmm_lm.baselines.t2m_gpt.training",
             "tdmm_lm.baselines.t2m_gpt.modeling:T2MGPT",
             "tdmm_lm.baselines.t2m_gpt.generator:build_generator"),
)}


def baseline(kind: str) -> Baseline:
    """The registered baseline ``kind``; ``TdmmError`` naming the known kinds otherwise."""
    if kind not in BASELINES:
        raise TdmmError(f"unknown baseline {kind!r}; known: {', '.join(BASELINES)}")
    return BASELINES[kind]


def generator_builders() -> dict[str, str]:
    """``{kind: "module:function"}`` for ``tdmm_lm.generators``."""
    return {kind: b.generator for kind, b in BASELINES.items()}
