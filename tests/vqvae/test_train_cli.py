"""Training writes and resumes checkpoints; the vq CLI commands and their user errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def _write_config(tmp_path: Path, dataset: Path, steps: int, **loss) -> Path:
    cfg = {"model": {"width": 16, "depth": 1, "codebook_size": 16, "code_dim": 8, "levels": 2},
           "loss": {"vertex_subset": 64, **loss},
           "data": {"dataset": str(dataset), "window": 16, "max_val_samples": 3},
           "train": {"out": str(tmp_path / "run"), "batch_size": 4, "steps": steps,
                     "eval_every": 2, "checkpoint_every": 2, "warmup_steps": 1}}
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory, tiny_dataset):
    """A 3-step run, then the same command with steps=5 (resumes from step 3... via last/)."""
    from tdmm_lm.vqvae.config import VQConfig
    from tdmm_lm.vqvae.train import train
    tmp = tmp_path_factory.mktemp("vqrun")
    cfg = VQConfig.from_yaml(_write_config(tmp, tiny_dataset, steps=3))
    best = train(cfg, progress=False)
    state3 = json.loads((tmp / "run" / "last" / "trainer_state.json").read_text())
    cfg.train.steps = 5
    train(cfg, progress=False)
    state5 = json.loads((tmp / "run" / "last" / "trainer_state.json").read_text())
    return tmp / "run", best, state3, state5


def test_train_writes_checkpoints_and_resumes(trained):
    run, best, state3, state5 = trained
    assert state3["step"] == 3 and state5["step"] == 5
    assert (run / "last" / "config.yaml").is_file() and (run / "best" / "config.yaml").is_file()
    assert (best / "model.safetensors").is_file()
    steps = [r["step"] for r in map(json.loads, (run / "log.jsonl").read_text().splitlines())
             if "val" in r]
    assert steps == [2, 3, 4, 5]          # validation continued from where the first run stopped
    metrics = json.loads((best / "metrics.json").read_text())
    assert metrics["split"] == "validation" and metrics["vertex"]["face"]["mean_mm"] > 0


def test_cli_encode_decode_eval_tokenize(trained, tiny_dataset, vq_cli, tmp_path):
    import datasets

    from tdmm_lm.motion import load, save
    from tdmm_lm.data.schema import split_motions
    run, *_ = trained
    motion = split_motions(datasets.load_from_disk(str(tiny_dataset))["test"], 1)[0]
    save(motion, tmp_path / "m.npz")
    rc, out, err = vq_cli("vq", "encode", tmp_path / "m.npz", "--model", run)
    assert rc == 0, err
    codes = [int(c) for c in out.split()]
    assert len(codes) == 2 * -(-motion.num_frames // 4)
    (tmp_path / "codes.txt").write_text(",".join(map(str, codes)))
    rc, out, err = vq_cli("vq", "decode", tmp_path / "codes.txt", "--model", run, "-o", tmp_path / "o.npz")
    assert rc == 0, err
    assert load(tmp_path / "o.npz").num_frames == len(codes) // 2 * 4

    rc, out, err = vq_cli("vq", "eval", "--model", run, "--dataset", tiny_dataset, "--json")
    assert rc == 0, err
    metrics = json.loads(out)
    assert {"lips", "face"} <= set(metrics["vertex"]) and metrics["tokens_per_second"] == 15.0
    assert 0 < metrics["codebook"][0]["usage"] <= 1 and metrics["encode_fps"] > 0

    rc, out, err = vq_cli("vq", "tokenize-dataset", tiny_dataset, "--model", run, "--out", tmp_path / "tok")
    assert rc == 0, err
    dd = datasets.load_from_disk(str(tmp_path / "tok"))
    assert dd["test"].features["codes"].feature.dtype == "int32"
    assert str(dd["test"].data.column("codes").type) == "list<item: int32>"   # stored as int32
    assert dd["test"][0]["codes"] == codes


@pytest.mark.parametrize("args, fragment", [
    (["vq", "encode", "missing.csv", "--model", "{run}"], "missing.csv"),
    (["vq", "decode", "{bad}", "--model", "{run}", "-o", "x.npz"], "not an integer"),
    (["vq", "decode", "{big}", "--model", "{run}", "-o", "x.npz"], "out of range"),
    (["vq", "eval", "--model", "nowhere_dir_xyz", "--dataset", "x"], "nowhere_dir_xyz"),
    (["vq", "train", "--config", "{badcfg}"], "model.downsample"),
])
def test_cli_user_errors_exit_2_with_one_line(trained, vq_cli, tmp_path, args, fragment):
    run, *_ = trained
    (tmp_path / "bad.txt").write_text("1 2 x3")
    (tmp_path / "big.txt").write_text("1 999")
    (tmp_path / "badcfg.yaml").write_text("model:\n  downsample: 3\n")
    subs = {"{run}": str(run), "{bad}": str(tmp_path / "bad.txt"), "{big}": str(tmp_path / "big.txt"),
            "{badcfg}": str(tmp_path / "badcfg.yaml")}
    rc, out, err = vq_cli(*[subs.get(a, a) for a in args])
    assert rc == 2
    assert len(err.strip().splitlines()) == 1 and fragment in err


def test_every_shipped_config_loads_and_names_its_command():
    from tdmm_lm.vqvae.config import VQConfig
    files = sorted((ROOT / "configs" / "vqvae").glob("*.yaml"))
    assert any(f.name == "tiny.yaml" for f in files)
    for f in files:
        assert f.read_text().startswith("# tdmm-lm vq train --config configs/vqvae/" + f.name), f
        VQConfig.from_yaml(f)


def test_config_errors_name_the_field(tmp_path):
    from tdmm_lm.errors import TdmmError
    from tdmm_lm.vqvae.config import VQConfig
    with pytest.raises(TdmmError, match="data.window"):
        VQConfig.from_dict({"model": {"downsample": 4}, "data": {"window": 30}})
    with pytest.raises(TdmmError, match="model.widht"):
        VQConfig.from_dict({"model": {"widht": 3}})
