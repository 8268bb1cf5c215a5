"""The conversations TDMM-LM is trained on and prompted with, and their token ids + labels.

Three tasks share one run (``data.tasks`` weights):

- ``describe`` (M2L): a motion span and a request for a description → one of the clip's
  paraphrases (a different one each time: the paraphrases are the augmentation);
- ``chat`` (M2L): a motion span and one to three questions answered from the ground-truth
  attributes (emotion, which eye winks, whether and how the head moves, intensity, what happens
  first);
- ``generate`` (L2M): a paraphrase, sometimes with its duration ("for 3.5 seconds") → the motion
  span (vocab mode; in prefix mode the prompt conditions the prefix model instead).

Every example goes through the tokenizer's own chat template; the loss sees the assistant answers
only (prompt labels are -100: every answer of a multi-turn chat is learned), and each answer
ends with the tokenizer's eos token.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from tdmm_lm.data.facescript.attributes import segment_spec
from tdmm_lm.data.facescript.text import clause, third_person

IGNORE = -100   # label of tokens the loss skips (torch cross-entropy's ignore_index)

DESCRIBE_QUESTIONS = ("Describe the facial motion.", "What does the face do?",
                      "Describe this facial motion in one sentence.", "What happens in this clip?")
GENERATE_INSTRUCTIONS = ("Generate facial motion", "Animate this", "Make the face do this",
                         "Create a facial animation")
CHAT_QUESTIONS: dict[str, tuple[str, ...]] = {
    "emotion": ("What emotion does the person show?", "How does the person feel?",
                "Which emotion is this?"),
    "wink": ("Which eye winks?", "Does the person wink, and with which eye?"),
    "head": ("Does the head move?", "What does the head do?", "Is there any head motion?"),
    "intensity": ("How intense is the expression?", "How strong is the motion?"),
    "first": ("What happens first?", "What is the first thing the person does?"),
}
_EMOTION_ANSWERS = {"neutral": "The face shows no particular emotion; it stays neutral.",
                    "contempt": "The person shows contempt."}
_HEAD_ANSWERS = {"none": "No, the head stays still.", "nod": "Yes, the head nods.",
                 "shake": "Yes, the head shakes from side to side.",
                 "tilt": "Yes, the head tilts to the {side}."}


@dataclass
class Example:
    """One training conversation: ``messages`` (the prompt turns) and the answer to learn."""

    task: str
    messages: list[dict[str, str]]
    target: str
    codes: list[int] | None = None   # the clip's motion codes (prefix mode learns them)


# ---- prompts (also used at inference) -----------------------------------------------------------
def motion_message(span: str, question: str) -> dict[str, str]:
    """The user turn that shows a motion span and asks about it. ``motion`` marks the span as
    ours: it is the only part of any message whose motion tokens ``prompt_ids`` keeps."""
    return {"role": "user", "content": f"{span}\n{question}", "motion": span}


def chat_messages(span: str, question: str, history: Sequence[tuple[str, str]] = ()
                  ) -> list[dict[str, str]]:
    """A conversation about one motion: the motion comes with the first question."""
    turns = [*history, (question, None)]
    messages = [motion_message(span, turns[0][0])]
    for i, (q, a) in enumerate(turns):
        if i:
            messages.append({"role": "user", "content": q})
        if a is not None:
            messages.append({"role": "assistant", "content": a})
    return messages


def generate_prompt(text: str, seconds: float | None = None,
                    instruction: str | None = GENERATE_INSTRUCTIONS[0]) -> str:
    """``"Generate facial motion: A person smiles for 3.5 seconds."`` (no instruction: the
    prefix model's condition, ``"A person smiles for 3.5 seconds."``)."""
    body = text.strip().rstrip(".") + (f" for {seconds:g} seconds." if seconds else ".")
    return f"{instruction}: {body}" if instruction else body


def round_seconds(seconds: float) -> float:
    """Durations are spoken to the half second."""
    return max(0.5, round(seconds * 2) / 2)


# ---- ground-truth answers -------------------------------------------------------------------------
def _segment_phrase(seg: dict[str, Any]) -> str:
    phrase, pre = clause(segment_spec(seg), None)
    return f"{pre} {third_person(phrase)}".strip()


def answer(kind: str, attributes: dict[str, Any]) -> str:
    """The ground-truth answer to a ``CHAT_QUESTIONS`` kind, from a clip's attributes."""
    segments = attributes.get("segments", [])
    if kind == "emotion":
        emotion = attributes.get("emotion", "neutral")
        return _EMOTION_ANSWERS.get(emotion, f"The person looks {emotion}.")
    if kind == "wink":
        sides = [s["side"] for s in segments if s["action"] == "wink"]
        return f"The {sides[0]} eye winks." if sides else "Neither eye winks."
    if kind == "head":
        head = attributes.get("head_motion") or {"type": "none"}
        return _HEAD_ANSWERS[head["type"]].format(side=head.get("side"))
    if kind == "intensity":
        return f"The motion is {attributes.get('intensity', 'moderate')}."
    if kind == "first":
        return f"First, the person {_segment_phrase(segments[0])}." if segments else "Nothing happens."
    raise ValueError(f"unknown question kind {kind!r}")


def template_texts() -> list[str]:
    """Every fixed string the prompts use (the tiny base's BPE tokenizer is trained on them)."""
    texts = [*DESCRIBE_QUESTIONS, *GENERATE_INSTRUCTIONS, *_EMOTION_ANSWERS.values(),
             *_HEAD_ANSWERS.values(), "The person looks", "eye winks.", "Neither eye winks.",
             "The motion is", "First, the person", "seconds."]
    return texts + [q for qs in CHAT_QUESTIONS.values() for q in qs]


# ---- training examples ------------------------------------------------------------------------------
def _pick(options: Sequence, rng: np.random.Generator):
    return options[int(rng.integers(len(options)))]


def make_example(task: str, row: dict[str, Any], span: str, seconds: float,
                 rng: np.random.Generator, duration_prob: float = 0.5) -> Example:
    """A random ``task`` example for a clip. ``row`` has ``texts`` and ``attributes`` (JSON or
    dict); ``span`` is its motion span text; ``seconds`` its duration. ``task`` may also be
    ``condition``: prefix mode's L2M text (``target``; no messages). L2M prompts come from
    ``row["prompts"]`` when it has them (descriptions plus reworded ones)."""
    texts = row["texts"]
    prompts = row.get("prompts") or texts
    if task == "describe":
        return Example(task, [motion_message(span, _pick(DESCRIBE_QUESTIONS, rng))], _pick(texts, rng))
    if task == "chat":
        attrs = row["attributes"]
        attrs = json.loads(attrs) if isinstance(attrs, str) else attrs
        # one to three questions about the same motion; every answer is learned, so one
        # reading of the motion span teaches several facts (see encode_example)
        kinds = [str(k) for k in rng.permutation(list(CHAT_QUESTIONS))[:1 + int(rng.integers(3))]]
        turns = [(_pick(CHAT_QUESTIONS[k], rng), answer(k, attrs)) for k in kinds]
        return Example(task, chat_messages(span, turns[-1][0], turns[:-1]), turns[-1][1])
    if task == "generate":
        said = round_seconds(seconds) if rng.random() < duration_prob else None
        prompt = generate_prompt(_pick(prompts, rng), said, _pick(GENERATE_INSTRUCTIONS, rng))
        return Example(task, [{"role": "user", "content": prompt}], span)
    if task == "condition":  # prefix mode: the motion model's text, no chat
        said = round_seconds(seconds) if rng.random() < duration_prob else None
        return Example(task, [], generate_prompt(_pick(prompts, rng), said, None))
    raise ValueError(f"unknown task {task!r}")


def prompt_ids(tokenizer, messages: list[dict[str, str]]) -> list[int]:
    """Token ids of ``messages`` + the assistant generation prompt, via the chat template.

    User text is text: a question or prompt that contains ``<|im_end|>``, ``<|im_start|>`` or
    ``<motion_0001>`` (any added or special token's string) is tokenised as those characters,
    so it can neither forge a turn nor smuggle in motion. Only a message's ``motion`` span (our
    own, see ``motion_message``) keeps its motion tokens. Text without such strings takes the
    plain path, so its ids are exactly the template's tokenisation (as in training).
    """
    free = [_free_text(m) for m in messages]
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    if not any(_markers(tokenizer).search(f) for f in free):
        return tokenizer(text, add_special_tokens=False)["input_ids"]
    # render with a placeholder where each message's free text goes, then tokenise the template
    # around the placeholders as usual and the free text with no added-token matching
    marked = [{**m, "content": m["content"][:len(m["content"]) - len(f)] + _SLOT.format(i)}
              for i, (m, f) in enumerate(zip(messages, free))]
    text = tokenizer.apply_chat_template(marked, tokenize=False, add_generation_prompt=True)
    ids: list[int] = []
    for k, piece in enumerate(_SLOT_RE.split(text)):
        if k % 2:
            ids += plain_ids(tokenizer, free[int(piece)])
        elif piece:
            ids += tokenizer(piece, add_special_tokens=False)["input_ids"]
    return ids


# A placeholder no tokenizer or user writes: private-use characters around the message index.
_SLOT = "\ue000{}\ue001"
_SLOT_RE = re.compile("\ue000(\\d+)\ue001")


def _free_text(message: dict[str, str]) -> str:
    """The part of a message that came from a person (all of it but our motion span)."""
    content, span = message["content"], message.get("motion")
    return content[len(span):] if span and content.startswith(span) else content


def _markers(tokenizer) -> re.Pattern:
    """A pattern matching any added or special token's string (longest first), kept on the
    tokenizer until its vocabulary grows."""
    cached = getattr(tokenizer, "_tdmm_markers", None)
    if cached is None or cached[0] != len(tokenizer):
        names = set(tokenizer.get_added_vocab()) | set(tokenizer.all_special_tokens)
        names = sorted((n for n in names if len(n) > 1), key=len, reverse=True)
        cached = (len(tokenizer), re.compile("|".join(map(re.escape, names)) or r"(?!)"))
        tokenizer._tdmm_markers = cached
    return cached[1]


def plain_ids(tokenizer, text: str) -> list[int]:
    """``text`` tokenised as plain characters: each added/special token string in it is cut
    after its first character, so the tokenizer cannot match it as that token."""
    pattern, ids, rest = _markers(tokenizer), [], text
    while (m := pattern.search(rest)) is not None:
        cut = m.start() + 1
        ids += tokenizer(rest[:cut], add_special_tokens=False)["input_ids"]
        rest = rest[cut:]
    return ids + (tokenizer(rest, add_special_tokens=False)["input_ids"] if rest else [])


def encode_example(tokenizer, example: Example, max_length: int) -> tuple[list[int], list[int]]:
    """``(input_ids, labels)``: every assistant answer (earlier turns' and ``target``) + eos is
    learned, everything else is ``IGNORE``. The ids up to each answer are exactly what
    inference sends for that turn (``prompt_ids``); a chat template that renders earlier turns
    otherwise (e.g. drops them) gets only ``target`` learned. Sequences longer than
    ``max_length`` are cut at the end."""
    turns = [*example.messages, {"role": "assistant", "content": example.target}]
    ids: list[int] = []
    labels: list[int] = []
    for i, message in enumerate(turns):
        if message["role"] != "assistant":
            continue
        prompt = prompt_ids(tokenizer, turns[:i])
        if prompt[:len(ids)] != ids:   # history rendered differently: learn the last answer only
            ids, labels = [], []
        labels += [IGNORE] * (len(prompt) - len(ids))
        answer_ids = (tokenizer(message["content"], add_special_tokens=False)["input_ids"]
                      + [tokenizer.eos_token_id])
        ids = prompt + answer_ids
        labels += answer_ids
    return ids[:max_length], labels[:max_length]
