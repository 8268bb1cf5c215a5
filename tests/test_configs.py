"""Every shipped config loads and starts with the command that runs it."""

from pathlib import Path

import pytest

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
LOADERS = {"presets": "tdmm_lm.quickstart:Preset", "vqvae": "tdmm_lm.vqvae:VQConfig", "lm": "tdmm_lm.lm.config:LMConfig",
           "accelerate": "tdmm_lm.lm.launch_configs:AccelerateLaunchConfig",
           "baselines": "tdmm_lm.baselines.config:BaselineConfig", "benchmark": "tdmm_lm.benchmark.extractor:ExtractorConfig"}


def _all_configs():
    return sorted(CONFIGS.rglob("*.yaml"))


def test_there_are_configs():
    assert _all_configs()


@pytest.mark.parametrize("path", _all_configs(), ids=lambda p: str(p.relative_to(CONFIGS)))
def test_config_loads_and_names_its_command(path):
    first = path.read_text().splitlines()[0]
    assert first.startswith("# tdmm-lm ") or first.startswith("# accelerate launch"), first
    group = path.relative_to(CONFIGS).parts[0]
    assert group in LOADERS, f"no loader registered for configs/{group}"
    module, name = LOADERS[group].split(":")
    loader = getattr(__import__(module, fromlist=[name]), name)
    config = loader.from_yaml(path)
    assert config is not None


@pytest.mark.parametrize("path", sorted(CONFIGS.rglob("*.json")), ids=lambda p: str(p.relative_to(CONFIGS)))
def test_deepspeed_config_parses(path):
    from tdmm_lm.lm.launch_configs import DeepSpeedSettings
    assert path.parent.name == "deepspeed", f"no loader for JSON configs outside configs/deepspeed: {path}"
    assert DeepSpeedSettings.from_json(path).stage in (2, 3)
