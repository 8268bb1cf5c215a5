"""``tdmm-lm publish baseline RUN``: a trained MDM run publishes its best checkpoint, and the
folder generates what the run generates."""

from __future__ import annotations

import numpy as np
import pytest
import yaml


@pytest.mark.slow
def test_published_mdm_matches_its_run(cli, tiny_tokenized, tmp_path, monkeypatch):
    from tdmm_lm.baselines.train import train
    from tdmm_lm.generators import load_generator
    from tests.baselines.conftest import tiny_config

    monkeypatch.setenv("TDMM_LM_CACHE", str(tmp_path / "cache"))   # text vectors stay in tmp
    run = tmp_path / "mdm"
    train(tiny_config("mdm", tiny_tokenized, run, steps=2, eval_every=2, checkpoint_every=2),
          progress=False)
    out = tmp_path / "mdm-hub"
    rc, stdout, err = cli("publish", "baseline", run, "--repo-id", "someone/mdm-tiny",
                          "--dry-run", "--out", out)
    assert rc == 0, err
    assert "verified: load_generator reloads the mdm checkpoint" in stdout
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "README.md", "config.json", "config.yaml", "generator.json", "metrics.json",
        "model.safetensors"]
    header = yaml.safe_load((out / "README.md").read_text().split("---")[1])
    assert {"mdm", "text-to-motion", "arkit61"} <= set(header["tags"])
    a = load_generator(run).generate(["a person frowns"], [30], seed=4)[0]
    b = load_generator(out).generate(["a person frowns"], [30], seed=4)[0]
    assert a.num_frames == 30 and np.array_equal(a.data, b.data)
