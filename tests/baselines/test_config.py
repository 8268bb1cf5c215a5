"""Baseline configs: typed per kind, one-line errors naming the file and field, YAML round trip."""

from __future__ import annotations

import pytest

from tdmm_lm.baselines.config import BaselineConfig
from tdmm_lm.baselines.mdm.configuration import MDMConfig
from tdmm_lm.baselines.t2m_gpt.configuration import T2MGPTConfig
from tdmm_lm.errors import TdmmError


def test_model_section_is_typed_by_kind_and_round_trips(tmp_path):
    cfg = BaselineConfig.from_dict({"kind": "t2m-gpt", "model": {"width": 64, "heads": 4},
                                    "train": {"lr": "3e-4", "steps": 10.0}})
    assert isinstance(cfg.model, T2MGPTConfig) and cfg.model.width == 64
    assert cfg.train.lr == 3e-4 and cfg.train.steps == 10 and isinstance(cfg.train.steps, int)
    assert isinstance(BaselineConfig().model, MDMConfig)  # mdm defaults
    cfg.save_yaml(tmp_path / "c.yaml")
    assert BaselineConfig.from_yaml(tmp_path / "c.yaml") == cfg


@pytest.mark.parametrize("raw, message", [
    ({"kind": "diffusion"}, "kind must be one of"),
    ({"kind": "mdm", "model": {"pkeep": 0.5}}, "unknown key(s) ['model.pkeep']"),
    ({"kind": "mdm", "model": {"sample_steps": 2000}}, "model.sample_steps must be <= model.diffusion_steps"),
    ({"kind": "t2m-gpt", "model": {"pkeep": 0.0}}, "model.pkeep must be in (0, 1]"),
    ({"train": {"ema_decay": 1.0}}, "train.ema_decay must be in [0, 1)"),
    ({"train": {"steps": 1.5}}, "must be an integer"),
    ({"extra": 1}, "unknown key(s) ['extra']"),
])
def test_bad_values_name_the_file_and_field(tmp_path, raw, message):
    import yaml
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(TdmmError) as e:
        BaselineConfig.from_yaml(path)
    assert str(e.value).startswith(str(path)) and message in str(e.value)


def test_reworded_prompts_join_each_facescript_row():
    import json

    import datasets

    from tdmm_lm.baselines.data import split_texts
    seg = {"action": "laugh", "side": None, "intensity": "moderate", "speed": "normal",
           "repetitions": 1, "relation": None}
    split = datasets.Dataset.from_dict({"text": ["A person laughs.", "A take."],
                                        "texts": [["A person laughs."], []],
                                        "attributes": [json.dumps({"segments": [seg]}), "{}"]})
    assert split_texts(split) == [["A person laughs."], ["A take."]]
    rows = split_texts(split, reworded=2)
    assert rows[0][0] == "A person laughs." and len(rows[0]) == 3 and rows[1] == ["A take."]
    assert rows[0][1] != rows[0][2] and all(t.endswith(".") for t in rows[0][1:])
