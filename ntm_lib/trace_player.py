r"""A trace player: one sequence through a trained NTM or DNC, step by step, with no kernel.

``trace_player(model, batch)`` runs the model once with ``trace=True`` and returns a
``TracePlayer``, which a notebook displays as plain HTML and a few lines of JavaScript (no
library, nothing loaded from elsewhere). A range slider, a play/pause button and a step counter
pick the time step t; the page then shows

* the input, the target (for a ``Batch``) and the output sigma(y) over time, with t marked
  (outputs only up to t; inputs and targets are known in advance and drawn pale after t);
* each head's weighting over the shown slots and time, up to t (read heads blue, write heads
  red), and its weighting at step t as bars;
* the memory after step t (slot x word, blue negative, red positive) and the read vectors of
  step t under it.

Orientation as in ``ntm_lib.viz_runs``: time runs left to right, slots top to bottom, labelled as
given (-1 is slot N-1, so a window may wrap around slot 0). By default the player shows the
smallest circular window of slots that holds every slot a head weights above 0.05 at some step
(``default_slots``): the copy NTM's 128-slot memory shows its 22 slots in use.

Everything is computed here, in float64 (on a copy of the model), and stored in the page in
hundredths (inputs, outputs, memory, reads) and thousandths (weightings); the memory is stored as
the rows that change from one step to the next. So the HTML is the same on every CPU and small:
37 kB for the copy NTM on a sequence of 20 vectors, 22 of its 128 slots (``TracePlayer.size``).
The element id is a hash of the page's data and title.

It works wherever a notebook shows HTML output with scripts: the static book, Jupyter (a trusted
notebook) and Colab.
"""

from __future__ import annotations

import copy
import hashlib
import html
import json
from typing import Sequence

import torch
from torch import Tensor

from .tasks import Batch

USED_THRESHOLD = 0.05  # a slot is in use where some head weights it above this, at some step


def default_slots(weights: Tensor, threshold: float = USED_THRESHOLD, circular: bool = True) -> list[int]:
    """The smallest circular window of slots that holds every slot weighted above ``threshold``
    by some head at some step, as ``viz_runs.window_slots`` writes it (first, .., last, with
    negative numbers for slots counted back from N-1 when the window wraps around slot 0).
    ``circular=False`` (the DNC, whose heads do not shift): the range from the first to the last.

    weights: (T, H, N) of one sequence. With no slot above the threshold: every slot.
    """
    num_slots = weights.shape[-1]
    used = torch.nonzero(weights.amax(dim=(0, 1)) > threshold).flatten().tolist()  # increasing
    if not used:
        return list(range(num_slots))
    if not circular:
        return list(range(used[0], used[-1] + 1))
    # The window leaves out the widest circular gap between two used slots.
    gaps = [(used[(k + 1) % len(used)] - used[k]) % num_slots or num_slots for k in range(len(used))]
    # Of equal gaps, the one from the last used slot round to the first: no wrap if none is needed.
    widest = max(range(len(used)), key=lambda k: (gaps[k], k == len(used) - 1, -k))
    first = used[(widest + 1) % len(used)]
    last = used[widest]
    if last < first:  # wraps around slot 0: count the slots before it back from N-1
        first -= num_slots
    return list(range(first, last + 1))


def _heads(model, trace) -> tuple[list[tuple[str, str]], Tensor]:
    """(name, "read" or "write") of every head, and their weightings (T, H, N) of sequence 0."""
    c = model.config
    if hasattr(trace, "weights"):  # NTMTrace: read heads first, then write heads
        names = [(f"read {i + 1}", "read") for i in range(c.num_read_heads)]
        names += [(f"write {i + 1}", "write") for i in range(c.num_write_heads)]
        return names, trace.weights[0]
    names = [(f"read {i + 1}", "read") for i in range(c.num_read_heads)] + [("write", "write")]
    weights = torch.cat([trace.read_weights[0], trace.write_weights[0].unsqueeze(1)], dim=1)
    return names, weights  # (T, R + 1, N)


def _as_batch(model, batch_or_inputs, sequence: int) -> tuple[Tensor, Tensor | None, Tensor | None]:
    """inputs (1, T, I) in float64, targets (T, O) and mask (T,) (None for plain inputs)."""
    name = type(model).__name__
    if isinstance(batch_or_inputs, Batch):
        inputs, targets, mask = batch_or_inputs
    elif isinstance(batch_or_inputs, Tensor):
        inputs, targets, mask = batch_or_inputs, None, None
        if inputs.dim() == 2:
            inputs = inputs.unsqueeze(0)  # (1, T, I)
    else:
        raise TypeError(f"trace_player needs a Batch or an input tensor (T, I) or (B, T, I) for the "
                        f"{name}, got {type(batch_or_inputs).__name__}")
    size = model.config.input_size
    if inputs.dim() != 3 or inputs.shape[-1] != size:
        shape = tuple(inputs.shape[1:]) if inputs.shape[0] == 1 else tuple(inputs.shape)
        raise ValueError(f"the {name} takes inputs of shape (time, {size}) or (batch, time, {size}), "
                         f"got {shape}")
    if not 0 <= sequence < inputs.shape[0]:
        raise ValueError(f"sequence {sequence} is not in the batch of {inputs.shape[0]}")
    pick = slice(sequence, sequence + 1)
    inputs = inputs[pick].detach().to("cpu", torch.float64)
    if targets is not None:
        targets = targets[sequence].detach().to("cpu", torch.float64)
        mask = mask[sequence].detach().to("cpu", torch.float64)
    return inputs, targets, mask


def _hundredths(x: Tensor) -> list:
    return torch.round(x * 100).long().tolist()


def _memory_changes(memory: Tensor) -> list[list]:
    """Memory (T, n, M) in hundredths as the rows that change: step 0 lists every row, each
    later step the rows whose rounded values differ from the step before, as [row, [M values]]."""
    rounded = torch.round(memory * 100).long()  # (T, n, M)
    steps = []
    for t in range(rounded.shape[0]):
        if t == 0:
            rows = range(rounded.shape[1])
        else:
            rows = torch.nonzero((rounded[t] != rounded[t - 1]).any(dim=-1)).flatten().tolist()
        steps.append([[i, rounded[t, i].tolist()] for i in rows])
    return steps


def player_data(model, batch_or_inputs, *, slots: Sequence[int] | None = None, title: str = "",
                sequence: int = 0) -> dict:
    """What the page holds: the traced run of ``model`` on one sequence, on ``slots``.

    Keys: title, steps (T), num_slots (N), slots (labels as given), heads ([name, kind]),
    rows (input, target, output: [name, future, T x channels in hundredths]; future "pale" or
    "hidden" says how steps after t are drawn), weights (T x H x n, thousandths), memory
    (``_memory_changes``), reads (T x R x M, hundredths), vmax (the memory's largest absolute
    value, hundredths). See ``trace_player``.
    """
    name = type(model).__name__
    trace_type = getattr(model, "trace_type", None)
    if trace_type is None or not hasattr(model, "config"):
        raise TypeError(f"trace_player needs a memory model (ntm_lib.NTM or ntm_lib.DNC) that "
                        f"returns a trace with forward(..., trace=True); the {name} has no "
                        "memory trace to show")
    inputs, targets, mask = _as_batch(model, batch_or_inputs, sequence)
    runner = copy.deepcopy(model).to("cpu", torch.float64)  # float64: the same page on every CPU
    with torch.no_grad():
        logits, _, trace = runner(inputs, trace=True)
    heads, weights = _heads(model, trace)  # (T, H, N)
    num_slots = weights.shape[-1]
    if slots is None:
        slots = default_slots(weights, circular=hasattr(trace, "shifted"))  # NTM heads shift around
    slots = [int(s) for s in slots]
    if not slots or min(slots) < -num_slots or max(slots) >= num_slots:
        raise ValueError(f"slots must be a non-empty list of slots in -{num_slots} .. {num_slots - 1}, "
                         f"got {slots}")
    index = torch.tensor(slots) % num_slots
    memory = trace.memory[0].index_select(1, index)  # (T, n, M)
    outputs = torch.sigmoid(logits[0])  # (T, O)
    if mask is not None:
        outputs = outputs * mask[:, None]  # as viz_runs.plot_run_window: outputs where they count
    rows = [["input", "pale", _hundredths(inputs[0])]]
    if targets is not None:
        rows.append(["target", "pale", _hundredths(targets * mask[:, None])])
    rows.append(["output σ(y)", "hidden", _hundredths(outputs)])
    return {
        "title": title,
        "model": name,
        "steps": inputs.shape[1],
        "num_slots": num_slots,
        "slots": slots,
        "heads": [list(h) for h in heads],
        "rows": rows,
        "weights": torch.round(weights.index_select(2, index) * 1000).long().tolist(),
        "memory": _memory_changes(memory),
        "reads": _hundredths(trace.reads[0]),
        "vmax": max(1, int(torch.round(memory.abs().max() * 100))),
    }


class TracePlayer:
    """The player's page: display it (``_repr_html_``), or read ``html``, ``data`` (the dict
    the page holds, ``player_data``) and ``size`` (bytes of HTML)."""

    def __init__(self, data: dict):
        self.data = data
        payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        self.uid = "ntm-player-" + hashlib.sha1(payload.encode()).hexdigest()[:10]
        self.html = _page(self.uid, data, payload)

    @property
    def size(self) -> int:
        return len(self.html.encode())

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        d = self.data
        return (f"trace player: {d['model']}, {d['steps']} steps, {len(d['heads'])} heads, "
                f"{len(d['slots'])} of {d['num_slots']} slots, {self.size / 1000:.1f} kB")


def trace_player(model, batch_or_inputs, *, slots: Sequence[int] | None = None, title: str = "",
                 sequence: int = 0) -> TracePlayer:
    """A kernel-free player of ``model``'s run on one sequence (make it a cell's last expression).

    model: an ``ntm_lib.NTM`` or ``ntm_lib.DNC`` (a model without a memory trace, such as the
    LSTM baseline, raises a TypeError); it is copied and run in float64, itself unchanged.
    batch_or_inputs: a ``Batch`` (shows the target, outputs only where the mask counts) or inputs
    (T, I) or (B, T, I); ``sequence`` picks one sequence of a batch. slots: the slots to show, in
    order, as for ``viz_runs.plot_run_window`` (e.g. ``viz_runs.window_slots(-3, 23, 128)``;
    default ``default_slots``). title: a line above the player.
    """
    return TracePlayer(player_data(model, batch_or_inputs, slots=slots, title=title,
                                   sequence=sequence))


def _page(uid: str, data: dict, payload: str) -> str:
    title = f'<div class="ntm-p-title">{html.escape(data["title"])}</div>' if data["title"] else ""
    slots = data["slots"]
    note = (f"Precomputed from the {html.escape(data['model'])}'s trace: slots {slots[0]} to "
            f"{slots[-1]} of {data['num_slots']}"
            + (" (negative: counted back from the last slot)" if slots[0] < 0 else "")
            + ". Memory and reads: blue negative, red positive. Hover over a cell for its value.")
    return _TEMPLATE.format(uid=uid, title=title, last=data["steps"] - 1, note=note,
                            data=payload.replace("</", "<\\/"))


_TEMPLATE = """
<div class="ntm-player" id="{uid}">
<style>
#{uid} {{ font-size: 0.85em; margin: 0.5em 0 1em; }}
#{uid} .ntm-p-title {{ font-weight: bold; margin-bottom: 0.3em; }}
#{uid} .ntm-p-controls {{ display: flex; align-items: center; gap: 0.8em; margin-bottom: 0.4em; }}
#{uid} .ntm-p-controls button {{ min-width: 5.5em; font: inherit; padding: 0.15em 0.6em; cursor: pointer; }}
#{uid} .ntm-p-controls input[type=range] {{ flex: 1; }}
#{uid} .ntm-p-step {{ font-family: monospace; min-width: 9em; }}
#{uid} .ntm-p-readout {{ font-family: monospace; min-height: 1.3em; }}
#{uid} svg {{ width: 100%; height: auto; display: block; }}
#{uid} svg text {{ fill: currentColor; font-size: 12px; font-family: sans-serif; }}
#{uid} svg .ntm-p-axis {{ stroke: currentColor; stroke-width: 0.6; }}
</style>
{title}
<div class="ntm-p-controls">
<button type="button" class="ntm-p-play" aria-label="play or pause">&#9654; play</button>
<input type="range" min="0" max="{last}" step="1" value="0" aria-label="time step">
<output class="ntm-p-step"></output>
</div>
<svg class="ntm-p-svg" role="img" aria-label="the run at the chosen time step"></svg>
<div class="ntm-p-readout"></div>
<div class="ntm-p-note">{note}</div>
<script type="application/json" class="ntm-p-data">{data}</script>
<script>
(function () {{
  var root = document.getElementById("{uid}");
  if (!root || root.dataset.ready) return;
  root.dataset.ready = "1";
  var D = JSON.parse(root.querySelector(".ntm-p-data").textContent);
  var NS = "http://www.w3.org/2000/svg", svg = root.querySelector("svg");
  var T = D.steps, n = D.slots.length, H = D.heads.length, M = D.memory[0][0][1].length;
  var R = D.reads[0].length;
  function el(name, attrs, parent) {{
    var node = document.createElementNS(NS, name);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    (parent || svg).appendChild(node);
    return node;
  }}
  function text(x, y, s, anchor, parent) {{
    var node = el("text", {{x: x, y: y, "text-anchor": anchor || "start"}}, parent);
    node.textContent = s;
    return node;
  }}
  function mix(stops, v) {{  // v in [0, 1] along colour stops [[r, g, b], ..]
    v = Math.max(0, Math.min(1, v)) * (stops.length - 1);
    var i = Math.min(Math.floor(v), stops.length - 2), f = v - i, a = stops[i], b = stops[i + 1];
    return "rgb(" + [0, 1, 2].map(function (k) {{ return Math.round(a[k] + f * (b[k] - a[k])); }}) + ")";
  }}
  var GREYS = [[255, 255, 255], [150, 150, 150], [20, 20, 20]];
  var BLUES = [[247, 251, 255], [107, 174, 214], [8, 48, 107]];
  var REDS = [[255, 245, 240], [251, 106, 74], [103, 0, 13]];
  var DIVERGING = [[33, 102, 172], [146, 197, 222], [247, 247, 247], [244, 165, 130], [178, 24, 43]];
  // memory after every step, from the rows that change
  var frames = [], frame = [];
  for (var t = 0; t < T; t++) {{
    frame = frame.slice();
    D.memory[t].forEach(function (row) {{ frame[row[0]] = row[1]; }});
    frames.push(frame);
  }}
  // layout, in SVG units
  var LM = 80, CW = Math.min(12, 360 / T), RH = 7, SH = Math.max(3, Math.min(9, 240 / n)), GAP = 9;
  var every = [1, 2, 5, 10, 20, 50, 100].filter(function (k) {{ return n / k <= 12; }})[0] || 200;
  var y = 8, cells = [], cursorTop = y;
  D.rows.forEach(function (row) {{
    var C = row[2][0].length, block = [];
    text(LM - 6, y + C * RH / 2 + 3, row[0], "end");
    for (var c = 0; c < C; c++) for (var t = 0; t < T; t++) {{
      var v = row[2][t][c] / 100;
      block.push(el("rect", {{x: LM + t * CW, y: y + c * RH, width: CW + 0.05, height: RH + 0.05,
        fill: mix(GREYS, v), "data-tip": row[0] + ", step " + t + ", channel " + c + ": " + v.toFixed(2)}}));
    }}
    el("rect", {{x: LM, y: y, width: T * CW, height: C * RH, fill: "none", class: "ntm-p-axis"}});
    cells.push([row[1], C, block]);
    y += C * RH + GAP;
  }});
  function slotLabels(x, top, anchor) {{
    for (var i = 0; i < n; i++) if (D.slots[i] % every === 0)
      text(x, top + (i + 0.5) * SH + 3, D.slots[i], anchor);
  }}
  var history = [], headTop = y;
  D.heads.forEach(function (head, h) {{
    var stops = head[1] === "read" ? BLUES : REDS, block = [];
    text(LM - 28, y + n * SH / 2 - 3, head[0], "end");
    text(LM - 28, y + n * SH / 2 + 10, "(slot)", "end");
    slotLabels(LM - 4, y, "end");
    for (var i = 0; i < n; i++) for (var t = 0; t < T; t++) {{
      var w = D.weights[t][h][i] / 1000;
      block.push(el("rect", {{x: LM + t * CW, y: y + i * SH, width: CW + 0.05, height: SH + 0.05,
        fill: mix(stops, w),
        "data-tip": head[0] + " weighting, step " + t + ", slot " + D.slots[i] + ": " + w.toFixed(3)}}));
    }}
    el("rect", {{x: LM, y: y, width: T * CW, height: n * SH, fill: "none", class: "ntm-p-axis"}});
    history.push(block);
    y += n * SH + GAP;
  }});
  // time axis
  var tick = [1, 2, 5, 10, 20, 50, 100].filter(function (k) {{ return T / k <= 12; }})[0] || 200;
  el("line", {{x1: LM, y1: y - GAP + 2, x2: LM + T * CW, y2: y - GAP + 2, class: "ntm-p-axis"}});
  for (var t = 0; t < T; t += tick) text(LM + (t + 0.5) * CW, y + 6, t, "middle");
  text(LM + T * CW / 2, y + 22, "time step", "middle");
  var bottom = y + 26;
  var cursor = el("rect", {{y: cursorTop - 2, width: CW, height: y - GAP - cursorTop + 4, fill: "none",
    stroke: "#c44e52", "stroke-width": 1.2}});
  // at step t: each head's weighting as bars, the memory and the reads
  var x0 = LM + T * CW + 44, BW = 40, MW = Math.min(9, 160 / M), bars = [];
  var title = text(x0 - 20, headTop - 18, "", "start");
  title.setAttribute("font-weight", "bold");
  slotLabels(x0 - 4, headTop, "end");
  D.heads.forEach(function (head, h) {{
    var x = x0 + h * (BW + 14), color = head[1] === "read" ? "#2171b5" : "#cb181d", block = [];
    text(x + BW / 2, headTop - 3, head[0], "middle");
    el("line", {{x1: x, y1: headTop, x2: x, y2: headTop + n * SH, class: "ntm-p-axis"}});
    for (var i = 0; i < n; i++) block.push(el("rect", {{x: x, y: headTop + i * SH + 0.5, height: SH - 1,
      width: 0, fill: color,
      class: "ntm-p-bar", "data-head": h}}));
    text(x, headTop + n * SH + 11, "0", "middle");
    text(x + BW, headTop + n * SH + 11, "1", "middle");
    bars.push(block);
  }});
  var xm = x0 + H * (BW + 14) + 4, memory = [];
  text(xm + M * MW / 2, headTop - 3, "memory (slot × word)", "middle");
  for (var i = 0; i < n; i++) for (var j = 0; j < M; j++)
    memory.push(el("rect", {{x: xm + j * MW, y: headTop + i * SH, width: MW + 0.05, height: SH + 0.05,
      class: "ntm-p-mem"}}));
  el("rect", {{x: xm, y: headTop, width: M * MW, height: n * SH, fill: "none", class: "ntm-p-axis"}});
  var yr = headTop + n * SH + 22, reads = [];
  for (var r = 0; r < R; r++) {{
    text(xm - 4, yr + r * 12 + 8, R > 1 ? "read " + (r + 1) : "read r", "end");
    for (var j = 0; j < M; j++)
      reads.push(el("rect", {{x: xm + j * MW, y: yr + r * 12, width: MW + 0.05, height: 10}}));
  }}
  var yc = yr + R * 12 + 10, vmax = D.vmax / 100;
  for (var k = 0; k < 40; k++)
    el("rect", {{x: xm + k * M * MW / 40, y: yc, width: M * MW / 40 + 0.05, height: 6,
      fill: mix(DIVERGING, k / 39)}});
  text(xm, yc + 18, (-vmax).toFixed(2), "start");
  text(xm + M * MW / 2, yc + 18, "0", "middle");
  text(xm + M * MW, yc + 18, vmax.toFixed(2), "end");
  var width = xm + M * MW + 12, height = Math.max(bottom, yc + 22);
  svg.setAttribute("viewBox", "0 0 " + width + " " + height);
  svg.style.maxWidth = Math.round(1.35 * width) + "px";

  var slider = root.querySelector("input[type=range]"), step = root.querySelector(".ntm-p-step");
  var readout = root.querySelector(".ntm-p-readout"), button = root.querySelector(".ntm-p-play");
  function update() {{
    var t = +slider.value;
    step.textContent = "step " + t + " / " + (T - 1);
    title.textContent = "at step " + t;
    cursor.setAttribute("x", LM + t * CW);
    cells.forEach(function (c) {{
      for (var k = 0; k < c[2].length; k++) {{
        var after = k % T > t;
        c[2][k].setAttribute("opacity", after ? (c[0] === "pale" ? 0.25 : 0) : 1);
      }}
    }});
    history.forEach(function (block) {{
      for (var k = 0; k < block.length; k++) block[k].setAttribute("opacity", k % T > t ? 0 : 1);
    }});
    bars.forEach(function (block, h) {{
      for (var i = 0; i < n; i++) {{
        var w = D.weights[t][h][i] / 1000;
        block[i].setAttribute("width", BW * w);
        block[i].setAttribute("data-tip", D.heads[h][0] + " weighting at step " + t + ", slot " +
          D.slots[i] + ": " + w.toFixed(3));
      }}
    }});
    for (var i = 0; i < n; i++) for (var j = 0; j < M; j++) {{
      var v = frames[t][i][j] / 100, node = memory[i * M + j];
      node.setAttribute("fill", mix(DIVERGING, 0.5 + v / (2 * vmax)));
      node.setAttribute("data-tip", "memory after step " + t + ", slot " + D.slots[i] + ", word " + j +
        ": " + v.toFixed(2));
    }}
    for (var r = 0; r < R; r++) for (var j = 0; j < M; j++) {{
      var v = D.reads[t][r][j] / 100;
      reads[r * M + j].setAttribute("fill", mix(DIVERGING, 0.5 + v / (2 * vmax)));
      reads[r * M + j].setAttribute("data-tip", "read " + (r + 1) + " at step " + t + ", word " + j + ": " +
        v.toFixed(2));
    }}
  }}
  var timer = null;
  function stop() {{ clearInterval(timer); timer = null; button.innerHTML = "&#9654; play"; }}
  button.addEventListener("click", function () {{
    if (timer) return stop();
    if (+slider.value >= T - 1) slider.value = 0;
    button.innerHTML = "&#10074;&#10074; pause";
    timer = setInterval(function () {{
      slider.value = +slider.value + 1;
      update();
      if (+slider.value >= T - 1) stop();
    }}, 300);
    update();
  }});
  slider.addEventListener("input", function () {{ if (timer) stop(); update(); }});
  svg.addEventListener("mouseover", function (e) {{
    var tip = e.target.getAttribute && e.target.getAttribute("data-tip");
    if (tip) readout.textContent = tip;
  }});
  update();
}})();
</script>
</div>
"""
