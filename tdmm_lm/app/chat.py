"""``tdmm-lm chat --model DIR``: talk about facial motion in the terminal.

    $ tdmm-lm chat --model runs/lm_tiny
    you> /load take.csv
    take.csv: arkit61, 328 frames at 60 fps (5.47 s)
    you> what is the person doing?
    lm> The person raises both eyebrows, then smiles.
    you> /generate a person smiles and then blinks --seconds 3
    you> /save smile.csv

Piped input works too, one command or question per line (how the tests drive it)::

    printf '/load take.csv\\nwhat is the person doing?\\n/quit\\n' | tdmm-lm chat --model runs/lm_tiny

Model text is printed after ``lm> ``, everything else as plain lines; a bad command or file
prints one ``error:`` line to stderr and the chat goes on.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Callable, Iterable, Iterator, TextIO

from tdmm_lm.app.session import Conversation, motion_line
from tdmm_lm.errors import TdmmError

HELP = """commands:
  /load FILE                      discuss a take (Live Link Face .csv, .npz, SMIRK .pkl)
  /describe                       describe the motion under discussion
  /generate PROMPT [--seconds S]  make a motion from text; it becomes the motion under discussion
  /render [OUT]                   write a video (.mp4, .gif) or a contact sheet (.png)
  /save PATH                      write the motion as Live Link Face .csv (ARKit) or .npz
  /help                           this list
  /quit                           leave (Ctrl-D too)
anything else is a question about the motion under discussion"""

_SECONDS = re.compile(r"(?:^|\s)--seconds(?:\s+|=)(\S+)")


def parse_generate(rest: str) -> tuple[str, float | None]:
    """``"a smile --seconds 3"`` → ``("a smile", 3.0)``; no flag → seconds None."""
    match = _SECONDS.search(rest)
    if match is None:
        return _unquote(rest), None
    try:
        seconds = float(match.group(1))
    except ValueError:
        raise TdmmError(f"--seconds needs a number, got {match.group(1)!r}") from None
    return _unquote(rest[:match.start()] + rest[match.end():]), seconds


def _unquote(text: str) -> str:
    """``"my take.csv"`` → ``my take.csv`` (paths and prompts may be quoted as in a shell)."""
    text = text.strip()
    return text[1:-1] if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"" else text


def _stem(label: str) -> str:
    """A file name stem from a motion's label (a file name or a quoted prompt)."""
    return re.sub(r"[^\w.-]+", "_", Path(label).stem).strip("_.")[:48] or "motion"


class Chat:
    """Turns lines into calls on a ``Conversation`` and prints the results."""

    def __init__(self, conversation: Conversation, out: TextIO | None = None,
                 err: TextIO | None = None, *, debug: bool = False) -> None:
        self.conv, self.debug = conversation, debug
        self.out, self.err = out or sys.stdout, err or sys.stderr   # looked up now: tests swap them
        self.commands: dict[str, Callable[[str], None]] = {
            "/load": self.load, "/describe": self.describe, "/generate": self.generate,
            "/render": self.render, "/save": self.save, "/help": self.help}

    def say(self, text: str, *, model: bool = False) -> None:
        print(f"lm> {text}" if model else text, file=self.out, flush=True)

    def run(self, lines: Iterable[str]) -> int:
        """Handle every line until ``/quit`` or the end of input; returns the exit status: 0, or
        2 when any line ended in an error (a script piping lines in must see that it failed)."""
        errors = 0
        for line in lines:
            line = line.strip()
            if not line:
                continue
            if line in ("/quit", "/exit"):
                break
            try:
                self.handle(line)
            except TdmmError as e:
                errors += 1
                print(f"error: {e}", file=self.err, flush=True)
            except Exception as e:   # a bug: say so in one line, keep the session alive
                if self.debug:
                    raise
                errors += 1
                print(f"error: {type(e).__name__}: {e} (a bug; --debug shows the traceback)",
                      file=self.err, flush=True)
        return 2 if errors else 0

    def handle(self, line: str) -> None:
        if not line.startswith("/"):
            self.say(self.conv.ask(line), model=True)
            return
        name, _, rest = line.partition(" ")
        if name not in self.commands:
            raise TdmmError(f"unknown command {name}; /help lists the commands")
        self.commands[name](rest.strip())

    def load(self, rest: str) -> None:
        if not rest:
            raise TdmmError("usage: /load FILE (.csv, .npz or .pkl)")
        self.say(self.conv.load(_unquote(rest)))

    def describe(self, rest: str) -> None:
        self.say(self.conv.describe(), model=True)

    def generate(self, rest: str) -> None:
        prompt, seconds = parse_generate(rest)
        motion = self.conv.generate(prompt, seconds)
        self.say(self.conv.show(motion, f'"{prompt}"'))

    def render(self, rest: str) -> None:
        self.conv.current()
        out = _unquote(rest) or f"{_stem(self.conv.label)}.mp4"
        self.say(f"wrote {self.conv.render(out)}")

    def save(self, rest: str) -> None:
        if not rest:
            raise TdmmError("usage: /save PATH (.csv Live Link Face or .npz)")
        self.say(self.conv.save(_unquote(rest)))

    def help(self, rest: str) -> None:
        self.say(HELP)


def terminal_lines(prompt: str = "you> ") -> Iterator[str]:
    """Lines typed at a terminal (with line editing) until Ctrl-D."""
    try:
        import readline  # noqa: F401  (importing it gives input() history and editing)
    except ImportError:
        pass
    while True:
        try:
            yield input(prompt)
        except EOFError:
            print()
            return


def chat(conversation: Conversation, *, stdin: TextIO | None = None, debug: bool = False) -> int:
    """The REPL on a terminal, or over piped lines."""
    stdin = stdin or sys.stdin
    session = Chat(conversation, debug=debug)
    interactive = stdin.isatty()
    if interactive:
        session.say(f"tdmm-lm chat ({type(conversation.model).__name__}, "
                    f"{conversation.model.fps:g} fps). /help lists the commands.")
        if conversation.motion is not None:
            session.say(motion_line(conversation.motion, conversation.label))
    return session.run(terminal_lines() if interactive else stdin)
