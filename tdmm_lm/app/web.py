"""``tdmm-lm serve --model DIR [--host 127.0.0.1] [--port 7860]``: the Gradio web demo.

Upload a take (Live Link Face .csv or .npz) or pick a FaceScript sample, watch it rendered with
its most active blendshape curves, chat about it (M2L), type a prompt to generate a motion (L2M),
preview it and download it as CSV/npz. Serves on 127.0.0.1 only unless ``--host`` says
otherwise; no share link, no analytics, no fonts or version checks from the network, so it runs
offline.

    from tdmm_lm.app.web import build_demo
    demo = build_demo(model)            # any object with fps/describe/answer/generate
    demo.launch(**launch_options())     # what `tdmm-lm serve` does
"""

from __future__ import annotations

import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# Before gradio is imported: no usage reporting or version check over the network.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from tdmm_lm.app.samples import NUM_SAMPLES, facescript_sample  # noqa: E402
from tdmm_lm.app.session import Conversation, geometry_for, motion_line  # noqa: E402
from tdmm_lm.errors import TdmmError  # noqa: E402
from tdmm_lm.motion.types import Motion  # noqa: E402

PREVIEW_FPS = 15.0        # enough to see a blink; halves the rendering time of 30 fps
PREVIEW_SIZE = 192        # pixels per view
MAX_UPLOAD = "50mb"       # an hour of 60 fps Live Link Face is ~100 MB; demos need far less

# System fonts only: the default theme would fetch Google Fonts, which fails offline.
THEME = gr.themes.Default(font=["ui-sans-serif", "system-ui", "sans-serif"],
                          font_mono=["ui-monospace", "monospace"])


def launch_options(host: str = "127.0.0.1", port: int = 7860) -> dict[str, Any]:
    """``Blocks.launch`` keywords for a local, offline demo."""
    return dict(server_name=host, server_port=port, share=False, ssr_mode=False, theme=THEME,
                max_file_size=MAX_UPLOAD, footer_links=[], show_error=True, quiet=True)


def preview(motion: Motion, label: str, folder: Path, conv: Conversation) -> tuple[str, str]:
    """``(animation .mp4, curve plot .png)`` of ``motion`` written into ``folder``."""
    from PIL import Image

    from tdmm_lm.geometry.render import animation_frames, curve_plot, write_animation

    geometry = geometry_for(motion.format.name, motion.channels, conv.rig, conv.flame_model)
    frames = animation_frames(geometry, [motion], fps=PREVIEW_FPS, captions=[label[:60]],
                              size=PREVIEW_SIZE)
    video, curves = folder / "motion.mp4", folder / "curves.png"
    write_animation(frames, video, PREVIEW_FPS)
    Image.fromarray(curve_plot(motion, width=900, height=280)).save(curves)
    return str(video), str(curves)


def _model_format(model) -> tuple[str, float | None]:
    """The motion format and fps the model's tokenizer reads (arkit61 for models without one)."""
    tok = getattr(model, "motion_tokenizer", None)
    return (tok.format, tok.fps) if tok is not None else ("arkit61", None)


class Demo:
    """The callbacks, each taking and returning the per-browser ``Conversation`` state."""

    def __init__(self, model, *, seed: int = 0, rig: str | None = None,
                 flame_model: str | None = None) -> None:
        self.model, self.seed, self.rig, self.flame_model = model, seed, rig, flame_model
        # under the system temp dir (gradio serves files from there); removed with the demo
        self._files = tempfile.TemporaryDirectory(prefix="tdmm-demo-")

    def _scratch(self) -> Path:
        """A fresh folder for one step's files (gradio copies them to its cache)."""
        return Path(tempfile.mkdtemp(dir=self._files.name))

    def _conv(self, state: Conversation | None) -> Conversation:
        return state if state is not None else Conversation(
            self.model, seed=self.seed, rig=self.rig, flame_model=self.flame_model)

    def _show(self, conv: Conversation, motion: Motion, label: str):
        with _user_errors():       # e.g. FLAME motion without --flame-model
            video, curves = preview(motion, label, self._scratch(), conv)
        return conv, f"**{conv.show(motion, label)}**", video, curves, []

    def upload(self, path: str | None, state):
        if not path:
            raise gr.Error("choose a .csv or .npz motion file first")
        conv = self._conv(state)
        with _user_errors():
            from tdmm_lm.motion import load
            motion = load(path)
        return self._show(conv, motion, Path(path).name)

    def sample(self, index: float, state):
        conv = self._conv(state)
        fmt, fps = _model_format(self.model)
        motion, text = facescript_sample(int(index), fmt, fps)
        return self._show(conv, motion, f"FaceScript sample {int(index)}: {text}")

    def ask(self, question: str, messages: list, state):
        conv = self._conv(state)
        with _user_errors():
            answer = conv.ask(question)
        messages = list(messages or []) + [{"role": "user", "content": question.strip()},
                                           {"role": "assistant", "content": answer}]
        return conv, messages, ""

    def describe(self, messages: list, state):
        conv = self._conv(state)
        with _user_errors():
            text = conv.describe()
        return conv, list(messages or []) + [{"role": "user", "content": "Describe the motion."},
                                             {"role": "assistant", "content": text}]

    def generate(self, prompt: str, seconds: float, state):
        from tdmm_lm.motion import save

        conv = self._conv(state)
        folder = self._scratch()
        with _user_errors():
            motion = conv.generate(prompt, float(seconds))
            video, curves = preview(motion, prompt.strip(), folder, conv)
        files = [str(save(motion, folder / "generated.npz"))]
        if motion.format.name == "arkit61":      # Live Link Face CSV holds ARKit only
            files.insert(0, str(save(motion, folder / "generated.csv")))
        return conv, f"**{motion_line(motion, 'generated')}**", video, curves, files


@contextmanager
def _user_errors():
    """Show a ``TdmmError`` as a gradio error toast (one line) instead of a failed request,
    with server temp paths (uploads, scratch files) cut to the file name."""
    try:
        yield
    except TdmmError as e:
        raise gr.Error(public_message(str(e))) from None


def public_message(text: str) -> str:
    """``text`` with every path under the server's temp folder reduced to its file name: a
    browser user needs the name they uploaded, not where the server keeps it."""
    temp = re.escape(tempfile.gettempdir().rstrip("/"))
    return re.sub(temp + r"/(?:[^\s/:'\"]+/)*([^\s/:'\"]+)", r"\1", text)


def build_demo(model, *, seed: int = 0, rig: str | None = None, flame_model: str | None = None,
               source: str | None = None) -> gr.Blocks:
    """The Blocks app around ``model`` (``source``: the folder or repo id it came from, for the
    page); element ids (``#take-upload`` ...) are what the browser test drives."""
    demo = Demo(model, seed=seed, rig=rig, flame_model=flame_model)
    with gr.Blocks(title="TDMM-LM: talk to facial motion", analytics_enabled=False) as app:
        state = gr.State(None)
        gr.Markdown(f"# TDMM-LM: talk to facial motion\nModel: `{source or type(model).__name__}`, "
                    f"motion at {model.fps:g} fps. Upload a take or pick a sample, ask about it, "
                    "or describe a motion to generate.")
        with gr.Row():
            with gr.Column(scale=1):
                upload = gr.File(label="Upload a take (Live Link Face .csv or .npz)",
                                 file_types=[".csv", ".npz"], type="filepath",
                                 elem_id="take-upload")
                index = gr.Slider(0, NUM_SAMPLES - 1, value=0, step=1, label="FaceScript sample",
                                  elem_id="sample-index")
                sample = gr.Button("Use this sample", elem_id="sample-button")
                info = gr.Markdown("No motion yet.", elem_id="motion-info")
            with gr.Column(scale=2):
                video = gr.Video(label="Rendered motion", autoplay=True, loop=True,
                                 interactive=False, elem_id="motion-video")
                curves = gr.Image(label="Most active blendshape curves", interactive=False,
                                  elem_id="motion-curves")
        with gr.Row():
            with gr.Column():
                chat = gr.Chatbot(label="Chat about the motion", height=320, elem_id="chat")
                question = gr.Textbox(label="Question", placeholder="what is the person doing?",
                                      elem_id="question")
                with gr.Row():
                    ask = gr.Button("Ask", variant="primary", elem_id="ask-button")
                    describe = gr.Button("Describe", elem_id="describe-button")
            with gr.Column():
                prompt = gr.Textbox(label="Generate a motion from text",
                                    placeholder="a person smiles and then blinks",
                                    elem_id="prompt")
                seconds = gr.Slider(1, 10, value=3, step=0.5, label="Seconds", elem_id="seconds")
                generate = gr.Button("Generate", variant="primary", elem_id="generate-button")
                gen_info = gr.Markdown("", elem_id="generated-info")
                gen_video = gr.Video(label="Generated motion", autoplay=True, loop=True,
                                     interactive=False, elem_id="generated-video")
                gen_curves = gr.Image(label="Generated curves", interactive=False,
                                      elem_id="generated-curves")
                downloads = gr.File(label="Download", file_count="multiple", interactive=False,
                                    elem_id="downloads")
        shown = [state, info, video, curves, chat]
        upload.upload(demo.upload, [upload, state], shown)
        sample.click(demo.sample, [index, state], shown)
        for trigger in (ask.click, question.submit):
            trigger(demo.ask, [question, chat, state], [state, chat, question])
        describe.click(demo.describe, [chat, state], [state, chat])
        for trigger in (generate.click, prompt.submit):
            trigger(demo.generate, [prompt, seconds, state],
                    [state, gen_info, gen_video, gen_curves, downloads])
    return app


def serve(model, *, host: str = "127.0.0.1", port: int = 7860, block: bool = True, **options):
    """Build and launch the demo; ``block=False`` returns ``(app, url)`` with the server running
    in a thread (``app.close()`` stops it)."""
    app = build_demo(model, **options)
    try:
        app.launch(**launch_options(host, port), prevent_thread_lock=not block)
    except OSError as e:    # gradio reports a busy port as OSError
        raise TdmmError(f"cannot serve on {host}:{port} ({e}); pick another --port") from None
    return app, f"http://{host}:{app.server_port}/"
