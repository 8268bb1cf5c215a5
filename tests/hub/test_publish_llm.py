"""``tdmm-lm publish llm RUN --dry-run`` writes a folder that ``TDMMLM.from_pretrained`` loads and
that behaves exactly like the run it came from."""

from __future__ import annotations

import numpy as np
import yaml

from tdmm_lm.hub.models import probe_motion


def test_published_llm_matches_its_run(cli, tiny_lm_run, real_take, tmp_path):
    from tdmm_lm.lm.generate import TDMMLM
    from tdmm_lm.motion import load

    out = tmp_path / "tdmm-lm-tiny"
    rc, stdout, err = cli("publish", "llm", tiny_lm_run, "--repo-id", "someone/tdmm-lm-tiny",
                          "--dry-run", "--out", out)
    assert rc == 0, err
    assert "verified: TDMMLM.from_pretrained reloads the folder" in stdout
    assert "verified: text tokenizer with chat template" in stdout
    readme = (out / "README.md").read_text()
    header = yaml.safe_load(readme.split("---")[1])
    assert "base_model" not in header          # a config-built base has no Hub id
    assert {"motion-language-model", "arkit61"} <= set(header["tags"])
    assert 'TDMMLM.from_pretrained("someone/tdmm-lm-tiny")' in readme
    assert (out / "metrics.json").is_file() and (out / "motion_tokenizer" / "model.safetensors").is_file()

    # beyond the built-in probe: other inputs, other seeds
    run, published = TDMMLM.from_pretrained(str(tiny_lm_run)), TDMMLM.from_pretrained(str(out))
    take = load(real_take)
    for seed in (0, 3):
        assert run.describe([take], seed=seed) == published.describe([take], seed=seed)
        assert run.answer(take, "which eye blinks?", [], seed=seed) == published.answer(
            take, "which eye blinks?", [], seed=seed)
        a = run.generate(["a person frowns"], [45], seed=seed)[0]
        b = published.generate(["a person frowns"], [45], seed=seed)[0]
        assert np.array_equal(a.data, b.data)
    probe = probe_motion(run.motion_tokenizer)
    assert run.motion_span(probe) == published.motion_span(probe)
