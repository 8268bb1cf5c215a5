"""Praat TextGrid word tiers: long and short layouts, quotes, brackets, bad files."""

import pytest

from tdmm_lm.data.textgrid import read_tiers, read_words, transcript
from tdmm_lm.errors import TdmmError
from tests.motion.beat2_builders import textgrid_long

WORDS = [(0.0, 0.31, ""), (0.31, 0.52, "so"), (0.52, 0.9, "[laugh] 2"), (0.9, 1.2, 'say "hi"'),
         (1.2, 1.5, "")]


def test_long_layout(tmp_path):
    path = tmp_path / "a.TextGrid"
    path.write_text(textgrid_long(WORDS, 1.5))
    assert read_words(path) == [(0.31, 0.52, "so"), (0.52, 0.9, "[laugh] 2"), (0.9, 1.2, 'say "hi"')]
    assert transcript(read_words(path)) == 'so [laugh] 2 say "hi"'
    assert list(read_tiers(path)) == ["words", "phones"]


def test_short_layout_and_utf16(tmp_path):
    short = ('File type = "ooTextFile"\nObject class = "TextGrid"\n\n0\n2.5\n<exists>\n1\n'
             '"IntervalTier"\n"words"\n0\n2.5\n2\n0\n1.25\n"hello"\n1.25\n2.5\n"world"\n')
    path = tmp_path / "s.TextGrid"
    path.write_bytes(short.encode("utf-16"))
    assert read_words(path) == [(0.0, 1.25, "hello"), (1.25, 2.5, "world")]


@pytest.mark.parametrize("text, message", [
    ("hello", "not a Praat TextGrid"),
    (textgrid_long(WORDS, 1.5).split("intervals [3]")[0], "TextGrid ends early"),
    ('"ooTextFile" "TextGrid" 0 1 <exists> 1.5', "not a whole number"),
])
def test_bad_textgrids(tmp_path, text, message):
    path = tmp_path / "b.TextGrid"
    path.write_text(text)
    with pytest.raises(TdmmError, match=message):
        read_words(path)
