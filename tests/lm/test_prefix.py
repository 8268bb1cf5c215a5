"""Prefix-mode pieces: remembered text features, the sentence slot and word dropout."""

import pytest
import torch

from tdmm_lm.lm.prefix import CachedFeatures, PrefixL2M


class CountingEncoder:
    """Deterministic word features (a hash of each word) that count the texts they encode."""

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def __call__(self, texts):
        self.encoded += list(texts)
        words = [t.split() for t in texts]
        width = max(len(w) for w in words)
        feats = torch.zeros(len(texts), width, 4)
        mask = torch.zeros(len(texts), width, dtype=torch.bool)
        for i, ws in enumerate(words):
            for j, w in enumerate(ws):
                g = torch.Generator().manual_seed(sum(map(ord, w)))
                feats[i, j], mask[i, j] = torch.randn(4, generator=g), True
        return feats, mask


def test_cached_features_equal_the_encoders_and_encode_each_text_once():
    encoder = CountingEncoder()
    cached = CachedFeatures(encoder, max_texts=2)
    texts = ["a person smiles", "winks", "a person smiles"]
    reference, ref_mask = CountingEncoder()(texts)
    feats, mask = cached(texts)
    assert torch.equal(mask, ref_mask)
    torch.testing.assert_close(feats, reference, atol=2e-3, rtol=0)   # stored as float16
    cached(["winks", "a person smiles"])
    assert encoder.encoded == ["a person smiles", "winks"]       # repeats come from the cache
    cached(["frowns"]), cached(["frowns"])                       # past max_texts: encoded each time
    assert encoder.encoded.count("frowns") == 2 and len(cached.cache) == 2


def _prefix(**kw) -> PrefixL2M:
    return PrefixL2M(num_codes=8, levels=2, cond_dim=4, width=16, layers=1, heads=2, max_tokens=12,
                     dropout=0.0, **kw)


def test_the_sentence_slot_is_the_normalised_mean_at_the_words_norm():
    feats, mask = CountingEncoder()(["a person smiles", "winks"])
    plain = _prefix()
    assert plain.condition(feats, mask)[0] is feats
    cond, cmask = _prefix(sentence_slot=True).condition(feats, mask)
    assert cond.shape == (2, 4, 4) and cmask[:, 0].all() and torch.equal(cmask[:, 1:], mask)
    words = feats[0]                                   # three real words
    expected = torch.nn.functional.normalize(words.mean(0), dim=0) * words.norm(dim=-1).mean()
    torch.testing.assert_close(cond[0, 0], expected)
    torch.testing.assert_close(cond[1, 0], feats[1, 0])  # one word: the slot is that word


def test_word_dropout_hides_whole_prompts_in_training_only():
    feats, mask = CountingEncoder()(["a person smiles"] * 400)
    model = _prefix(sentence_slot=True, word_dropout=0.25).train()
    torch.manual_seed(0)
    _, cmask = model.condition(feats, mask)
    hidden = ~cmask[:, 1:].any(1)
    assert cmask[:, 0].all() and 0.18 < hidden.float().mean() < 0.32
    assert torch.equal(cmask[~hidden, 1:], mask[~hidden])     # the others keep every word
    _, cmask = model.eval().condition(feats, mask)
    assert cmask.all()


def test_word_dropout_needs_the_sentence_slot():
    from tdmm_lm.errors import TdmmError
    from tdmm_lm.lm.config import L2MSection
    with pytest.raises(TdmmError, match="sentence_slot"):
        L2MSection(mode="prefix", word_dropout=0.2).validate()


def test_cond_dropout_hides_the_whole_prompt_sentence_slot_included():
    feats, mask = CountingEncoder()(["a person smiles"] * 400)
    model = _prefix(sentence_slot=True, cond_dropout=0.2).train()
    torch.manual_seed(0)
    _, cmask = model.condition(feats, mask)
    hidden = ~cmask.any(1)
    assert 0.13 < hidden.float().mean() < 0.27
    assert cmask[~hidden].all()                              # the others keep everything
    assert model.eval().condition(feats, mask)[1].all()


def test_guidance_mixes_conditional_and_unconditional_logits():
    from tdmm_lm.nn.code_gpt import CodeGPT

    torch.manual_seed(0)
    gpt = CodeGPT(num_codes=6, cond_dim=4, width=16, layers=1, heads=2, max_tokens=4, dropout=0.0).eval()
    cond, mask = torch.randn(3, 2, 4), torch.ones(3, 2, dtype=torch.bool)
    empty = torch.empty(3, 0, dtype=torch.long)
    with torch.no_grad():
        c = gpt(cond, mask, empty)[:, -1]
        u = gpt(cond, torch.zeros_like(mask), empty)[:, -1]
    for scale in (1.0, 3.0):
        out = gpt.generate(cond, mask, max_tokens=1, greedy=True, guidance=scale)
        first = [row[0] if row else gpt.end for row in out]      # an empty row chose END
        assert first == (u + scale * (c - u)).argmax(-1).tolist()
    assert (u + 3.0 * (c - u)).argmax(-1).tolist() != c.argmax(-1).tolist()   # guidance mattered


def test_features_saved_and_loaded_are_the_same_and_need_no_encoding(tmp_path):
    encoder = CountingEncoder()
    cached = CachedFeatures(encoder)
    cached.prefill(["a person smiles", "winks", "a person smiles", "frowns twice"], batch_size=2)
    assert sorted(encoder.encoded) == ["a person smiles", "frowns twice", "winks"]
    cached.save(tmp_path / "words.safetensors")
    again = CachedFeatures(CountingEncoder())
    again.load(tmp_path / "words.safetensors")
    feats, mask = again(["winks", "frowns twice"])
    assert again.encode.encoded == []                          # all from the file
    torch.testing.assert_close(feats, cached(["winks", "frowns twice"])[0], rtol=0, atol=0)
    (tmp_path / "bad.safetensors").write_bytes(b"not safetensors")
    from tdmm_lm.errors import TdmmError
    with pytest.raises(TdmmError, match="not a word-feature file"):
        again.load(tmp_path / "bad.safetensors")


def test_sentence_vectors_are_the_unit_mean_of_cached_words_without_encoding_again():
    encoder = CountingEncoder()
    cached = CachedFeatures(encoder)
    cached.prefill(["a person smiles", "winks"])
    vectors = cached.sentence_vectors(["winks", "a person smiles", "frowns twice"], batch_size=2)
    assert encoder.encoded == ["winks", "a person smiles", "frowns twice"]   # each text once
    feats, mask = CountingEncoder()(["a person smiles"])
    expected = torch.nn.functional.normalize(feats[0][mask[0]].mean(0), dim=0)
    torch.testing.assert_close(vectors[1], expected, atol=2e-3, rtol=0)      # stored as float16
    assert vectors.shape == (3, 4) and vectors.dtype == torch.float32


def test_sentence_vectors_match_minilms_own_sentence_embeddings():
    from tdmm_lm.text_encoder import TextEncoder
    encoder = TextEncoder.load()
    texts = ["A person smiles softly.", "Someone winks their left eye twice, then frowns."]
    pooled = CachedFeatures(encoder.encode_words).sentence_vectors(texts)
    torch.testing.assert_close(pooled, encoder.encode_sentences(texts), atol=2e-3, rtol=0)
