"""The baselines' sentence-vector bank: its disk cache and vectors handed in by the caller."""

import torch

from tdmm_lm.baselines.text import TextBank


def test_vectors_handed_in_are_cached_and_read_back_without_an_encoder(tmp_path):
    texts = ["winks", "a person smiles", "winks"]
    seen = []

    def encode(unique):
        seen.append(list(unique))
        return torch.arange(len(unique) * 3, dtype=torch.float32).reshape(len(unique), 3)

    # a name no encoder loads from: building must not try
    bank = TextBank.build("no/such-encoder", texts, cache_dir=tmp_path, encode=encode)
    assert seen == [["a person smiles", "winks"]]
    assert bank.lookup(["winks"]).tolist() == [[3.0, 4.0, 5.0]]
    again = TextBank.build("no/such-encoder", reversed(texts), cache_dir=tmp_path)
    torch.testing.assert_close(again.lookup(["a person smiles", "winks"]), bank.vectors)
    assert len(list(tmp_path.glob("*.safetensors"))) == 1
