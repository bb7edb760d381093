"""The backward player: one self-contained HTML page (inline SVG frames, plain JavaScript) that
steps through `backward_frames` with a slider, previous/next and play/pause."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import GraphError
from ..tensor import Tensor
from .frames import backward_frames
from .rendering import GraphvizNotFoundError, _missing_dot_message, _svg_in_process, graphviz_available

_PLAYER_STYLE = """
body { font-family: Helvetica, Arial, sans-serif; margin: 12px; }
#controls { display: flex; gap: 8px; align-items: center; margin-bottom: 6px; }
#controls button { font-size: 14px; padding: 3px 10px; }
#slider { flex: 1; max-width: 480px; }
#caption { margin: 4px 0 8px; color: #333; }
#current-op { color: #b45f06; }
.frame { display: none; overflow: auto; }
.frame.shown { display: block; }
.frame svg { max-width: 100%; height: auto; }
"""

_PLAYER_SCRIPT = """
(function () {
  var frames = document.querySelectorAll('.frame');
  var slider = document.getElementById('slider');
  var counter = document.getElementById('frame-counter');
  var opName = document.getElementById('current-op');
  var heading = document.getElementById('heading');
  var play = document.getElementById('play');
  var current = 0, timer = null;
  function show(i) {
    current = Math.max(0, Math.min(frames.length - 1, i));
    for (var k = 0; k < frames.length; k++) {
      frames[k].className = k === current ? 'frame shown' : 'frame';
    }
    slider.value = current;
    counter.textContent = 'step ' + (current + 1) + ' / ' + frames.length;
    opName.textContent = frames[current].getAttribute('data-op');
    heading.textContent = frames[current].getAttribute('data-heading');
  }
  function stop() { if (timer) { clearInterval(timer); timer = null; } play.textContent = 'play'; }
  document.getElementById('prev').onclick = function () { stop(); show(current - 1); };
  document.getElementById('next').onclick = function () { stop(); show(current + 1); };
  slider.oninput = function () { stop(); show(parseInt(slider.value, 10)); };
  play.onclick = function () {
    if (timer) { stop(); return; }
    if (current === frames.length - 1) { show(0); }
    play.textContent = 'pause';
    timer = setInterval(function () {
      if (current >= frames.length - 1) { stop(); } else { show(current + 1); }
    }, 900);
  };
  show(0);
})();
"""


class BackwardPlayer:
    """A page that steps through backward op by op (the frames of `backward_frames`): slider,
    previous/next and play/pause in plain inline JavaScript, every frame an inline SVG. `html` is
    the whole page; in Jupyter it displays inline (in an iframe, so it needs no kernel)."""

    def __init__(self, html: str, frame_count: int, path: Path | None) -> None:
        self.html = html
        self.frame_count = frame_count
        self.path = path

    def _repr_html_(self) -> str:
        import html as html_module

        return (f'<iframe srcdoc="{html_module.escape(self.html, quote=True)}" '
                'style="width:100%;height:560px;border:1px solid #ddd"></iframe>')

    def __repr__(self) -> str:
        where = f", written to {self.path}" if self.path else ""
        return f"<BackwardPlayer: {self.frame_count} frames{where}>"


def backward_player(root: Tensor, path: str | Path | None = "backward.html",
                    title: str | None = None, **draw_options: Any) -> BackwardPlayer:
    """Writes (to `path`, unless None) one self-contained HTML file that plays backward through
    the graph of `root` step by step: which op's vjp runs, and which gradients arrive where. The
    page needs no network, no kernel and no Graphviz afterwards (the SVGs are inline). Call it
    before `root.backward()`: nothing is modified."""
    import html as html_module

    frames = backward_frames(root, **draw_options)
    if not frames:
        raise GraphError("backward_player: the tensor has no recorded graph to play (it is a leaf or "
                         "was computed without grad)")
    parts = []
    for frame in frames:
        svg = frame.pipe(format="svg") if graphviz_available() else _svg_in_process(frame.source)
        if svg is None:
            raise GraphvizNotFoundError(_missing_dot_message(Path("backward.html"), "svg"))
        svg_text = svg.decode("utf-8")
        svg_text = svg_text[svg_text.find("<svg"):]
        parts.append(f'<div class="frame" data-op="{html_module.escape(frame.step_op)}" '
                     f'data-heading="{html_module.escape(frame.step_heading)}">{svg_text}</div>')
    page_title = html_module.escape(title or "backward, step by step")
    page = (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
        f"<title>{page_title}</title><style>{_PLAYER_STYLE}</style></head><body>\n"
        f"<h3>{page_title}</h3>\n"
        '<div id="controls"><button id="prev">previous</button><button id="play">play</button>'
        f'<button id="next">next</button><input type="range" id="slider" min="0" '
        f'max="{len(frames) - 1}" value="0"><span id="frame-counter"></span></div>\n'
        '<div id="caption">running: <b id="current-op"></b> &mdash; <span id="heading"></span>'
        '</div>\n<div id="frames">\n' + "\n".join(parts) + "\n</div>\n"
        f"<script>{_PLAYER_SCRIPT}</script>\n</body></html>\n")
    written = None
    if path is not None:
        written = Path(path)
        written.parent.mkdir(parents=True, exist_ok=True)
        written.write_text(page, encoding="utf-8")
    return BackwardPlayer(page, len(frames), written)
