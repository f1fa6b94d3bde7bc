r"""Interactive explorers for the book: the four addressing stages under sliders (chapter 3), and
the DNC's allocation weighting under the usages of its slots (chapter 13).

Two views of the addressing sweep, both computed by ``ntm_lib.addressing.address``:

* ``addressing_explorer``: live ipywidgets sliders (key strength beta, gate g, the three shift
  weights, sharpening gamma) that recompute and redraw the weighting after every stage. Needs a
  running kernel (Jupyter, Colab). Only core widgets and APIs that exist in ipywidgets 7.7 (Colab)
  and 8 are used.
* ``static_addressing_explorer``: the same sweep precomputed on a grid of parameter values in
  one batched call, drawn by a few lines of JavaScript with range inputs. It needs no kernel, so
  it stays interactive in the static HTML book.

The allocation explorer comes in the same two views, ``allocation_explorer`` (live sliders) and
``static_allocation_explorer`` (every usage vector on a grid, precomputed by
``ntm_lib.dnc_addressing.allocation``, drawn in the browser).

ipywidgets is imported inside the functions: the rest of ``ntm_lib`` never needs it.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import json
from typing import NamedTuple, Sequence

import torch
from torch import Tensor

from . import addressing

# Shift distributions over the offsets (-1, 0, +1), as ntm_lib.addressing.shift expects them.
SHIFT_PRESETS: dict[str, tuple[float, float, float]] = {
    "left (-1)": (1.0, 0.0, 0.0),
    "stay (0)": (0.0, 1.0, 0.0),
    "right (+1)": (0.0, 0.0, 1.0),
    "mostly right": (0.0, 0.2, 0.8),
    "blur": (0.25, 0.5, 0.25),
}


class AddressingExample(NamedTuple):
    """A small memory, a key and a previous weighting to address it with (batch of one).

    memory: (1, N, M), key: (1, M), w_prev: (1, N). The key is a noisy copy of row
    ``target``; the previous weighting focuses on slot ``previous``.
    """

    memory: Tensor
    key: Tensor
    w_prev: Tensor
    target: int
    previous: int


def example(num_slots: int = 10, word_size: int = 6, target: int = 3, previous: int = 7,
            noise: float = 0.3, seed: int = 0) -> AddressingExample:
    """A deterministic ``AddressingExample`` (the same numbers for the same arguments)."""
    gen = torch.Generator().manual_seed(seed)
    memory = torch.randn(1, num_slots, word_size, generator=gen)  # (1, N, M)
    key = memory[:, target] + noise * torch.randn(1, word_size, generator=gen)  # (1, M)
    w_prev = torch.zeros(1, num_slots)
    w_prev[0, previous] = 1.0
    return AddressingExample(memory, key, w_prev, target, previous)


def normalise_shift(weights: Sequence[float]) -> Tensor:
    """Shift slider values -> a distribution over (-1, 0, +1); all zeros means "stay"."""
    s = torch.tensor([max(float(v), 0.0) for v in weights])
    total = float(s.sum())
    return s / total if total > 0 else torch.tensor([0.0, 1.0, 0.0])


def stages_for(ex: AddressingExample, beta: float, g: float, s: Sequence[float], gamma: float):
    """The four stage weightings, each (N,), for one setting of the head parameters."""
    _, stages = addressing.address(
        ex.memory, ex.w_prev, ex.key,
        beta=torch.tensor([float(beta)]),
        g=torch.tensor([float(g)]),
        s=normalise_shift(s).unsqueeze(0),  # (1, 3)
        gamma=torch.tensor([float(gamma)]),
    )
    return [w[0] for w in stages]


def addressing_explorer(ex: AddressingExample | None = None, beta: float = 5.0, g: float = 1.0,
                        shift: Sequence[float] = (0.0, 0.0, 1.0), gamma: float = 1.0):
    """Live sliders over beta, g, the shift weights and gamma; redraws all four stages.

    Returns an ``ipywidgets.interactive`` widget: display it (make it the last expression of a
    cell). Moving a slider recomputes ``ntm_lib.addressing.address`` and redraws.
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    from . import viz

    ex = ex or example()
    layout = widgets.Layout(width="340px")
    style = {"description_width": "110px"}

    def slider(description, value, lo, hi, step):
        return widgets.FloatSlider(value=value, min=lo, max=hi, step=step, description=description,
                                   continuous_update=False, readout_format=".2f",
                                   layout=layout, style=style)

    def draw(beta, g, s_minus, s_zero, s_plus, gamma):
        s = normalise_shift([s_minus, s_zero, s_plus])
        stages = stages_for(ex, beta, g, s.tolist(), gamma)
        fig = viz.plot_stages(
            stages, w_prev=ex.w_prev,
            suptitle=(f"beta={beta:.1f}  g={g:.2f}  s=({s[0]:.2f}, {s[1]:.2f}, {s[2]:.2f})"
                      f"  gamma={gamma:.1f}   (key matches slot {ex.target}; "
                      f"previous focus: slot {ex.previous})"),
        )
        plt.show()
        return None

    return widgets.interactive(
        draw,
        beta=slider("key strength β", beta, 0.0, 50.0, 0.5),
        g=slider("gate g", g, 0.0, 1.0, 0.05),
        s_minus=slider("shift −1", shift[0], 0.0, 1.0, 0.05),
        s_zero=slider("shift 0", shift[1], 0.0, 1.0, 0.05),
        s_plus=slider("shift +1", shift[2], 0.0, 1.0, 0.05),
        gamma=slider("sharpen γ", gamma, 1.0, 20.0, 0.5),
    )


# ---------------------------------------------------------------------------------------------
# The kernel-free view: a precomputed grid, drawn in the browser.

DEFAULT_BETAS = (0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0)
DEFAULT_GATES = (0.0, 0.25, 0.5, 0.75, 1.0)
DEFAULT_GAMMAS = (1.0, 1.5, 2.0, 3.0, 5.0, 10.0)


def sweep(ex: AddressingExample, betas: Sequence[float], gates: Sequence[float],
          shifts: Sequence[Sequence[float]], gammas: Sequence[float]) -> dict[str, Tensor]:
    """Every stage for every combination of the parameter values, in one batched call.

    Returns tensors indexed like the grid: content (nb, N), gated (nb, ng, N),
    shifted (nb, ng, ns, N), sharpened (nb, ng, ns, nk, N), in the example's dtype.
    """
    grid = list(itertools.product(range(len(betas)), range(len(gates)), range(len(shifts)),
                                  range(len(gammas))))
    batch = len(grid)
    ib, ig, i_s, ik = (torch.tensor(col) for col in zip(*grid))
    s_table = torch.stack([normalise_shift(s) for s in shifts])  # (ns, 3)
    _, (w_c, w_g, w_s, w_k) = addressing.address(
        ex.memory.expand(batch, -1, -1),
        ex.w_prev.expand(batch, -1),
        ex.key.expand(batch, -1),
        beta=torch.tensor(betas, dtype=ex.memory.dtype)[ib],
        g=torch.tensor(gates, dtype=ex.memory.dtype)[ig],
        s=s_table[i_s].to(ex.memory.dtype),
        gamma=torch.tensor(gammas, dtype=ex.memory.dtype)[ik],
    )  # each (batch, N), rows in grid order
    shape = (len(betas), len(gates), len(shifts), len(gammas), ex.memory.shape[1])
    w_c, w_g, w_s, w_k = (w.reshape(shape) for w in (w_c, w_g, w_s, w_k))
    return {
        "content": w_c[:, 0, 0, 0],  # depends on beta only
        "gated": w_g[:, :, 0, 0],  # on beta and g
        "shifted": w_s[:, :, :, 0],  # on beta, g and s
        "sharpened": w_k,  # on all four
    }


def _rounded(x: Tensor, digits: int = 3):
    """Nested lists of floats rounded for the page (and stable across re-execution)."""
    return torch.round(x, decimals=digits).tolist()


_TEMPLATE = """
<div class="ntm-explorer" id="{uid}">
<style>
#{uid} {{ font-size: 0.85em; margin: 0.5em 0 1em; }}
#{uid} .ntm-x-controls {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr));
  gap: 0.3em 1.2em; margin-bottom: 0.6em; }}
#{uid} label {{ display: flex; align-items: center; gap: 0.5em; }}
#{uid} label span.ntm-x-name {{ min-width: 6.5em; }}
#{uid} label output {{ min-width: 3.5em; font-family: monospace; }}
#{uid} input[type=range] {{ flex: 1; }}
#{uid} .ntm-x-panels {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr));
  gap: 0.6em; }}
#{uid} .ntm-x-panel {{ text-align: center; }}
#{uid} svg {{ width: 100%; height: auto; }}
#{uid} svg text {{ fill: currentColor; font-size: 9px; }}
#{uid} svg line {{ stroke: currentColor; stroke-width: 0.6; }}
</style>
<div class="ntm-x-controls">{controls}</div>
<div class="ntm-x-panels">{panels}</div>
<div class="ntm-x-note">{note}</div>
<script type="application/json" class="ntm-x-data">{data}</script>
<script>
(function () {{
  var root = document.getElementById("{uid}");
  if (!root || root.dataset.ready) return;
  root.dataset.ready = "1";
  var D = JSON.parse(root.querySelector(".ntm-x-data").textContent);
  var NS = "http://www.w3.org/2000/svg", W = 200, H = 110, P = 16;
  var colors = {colors};
  function el(name, attrs, parent) {{
    var node = document.createElementNS(NS, name);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(node);
    return node;
  }}
  function draw(svg, w, color, prev) {{
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var n = w.length, bw = (W - P) / n;
    el("line", {{x1: P, y1: H - P, x2: W, y2: H - P}}, svg);
    for (var i = 0; i < n; i++) {{
      var h = (H - 2 * P) * Math.max(0, Math.min(1, w[i]));
      var bar = el("rect", {{x: P + i * bw + 1, y: H - P - h, width: bw - 2, height: h, fill: color}}, svg);
      el("title", {{}}, bar).textContent = "slot " + i + ": " + w[i].toFixed(3);
      if (prev) {{
        var hp = (H - 2 * P) * prev[i];
        if (hp > 0) el("rect", {{x: P + i * bw + 1, y: H - P - hp, width: bw - 2, height: hp,
          fill: "none", stroke: "#9aa5b1", "stroke-dasharray": "3 2"}}, svg);
      }}
      el("text", {{x: P + (i + 0.5) * bw, y: H - 4, "text-anchor": "middle"}}, svg).textContent = i;
    }}
    el("text", {{x: 2, y: P + 3}}, svg).textContent = "1";
    el("text", {{x: 2, y: H - P}}, svg).textContent = "0";
  }}
  var inputs = root.querySelectorAll("input[type=range]");
  function update() {{
    var b = +inputs[0].value, g = +inputs[1].value, s = +inputs[2].value, k = +inputs[3].value;
    root.querySelector("output[data-for=beta]").textContent = D.betas[b];
    root.querySelector("output[data-for=g]").textContent = D.gates[g];
    root.querySelector("output[data-for=s]").textContent = D.shifts[s];
    root.querySelector("output[data-for=gamma]").textContent = D.gammas[k];
    var svgs = root.querySelectorAll("svg");
    draw(svgs[0], D.content[b], colors[0]);
    draw(svgs[1], D.gated[b][g], colors[1], D.w_prev);
    draw(svgs[2], D.shifted[b][g][s], colors[2]);
    draw(svgs[3], D.sharpened[b][g][s][k], colors[3]);
  }}
  for (var i = 0; i < inputs.length; i++) inputs[i].addEventListener("input", update);
  update();
}})();
</script>
</div>
"""


def static_addressing_explorer(ex: AddressingExample | None = None,
                               betas: Sequence[float] = DEFAULT_BETAS,
                               gates: Sequence[float] = DEFAULT_GATES,
                               shifts: dict[str, Sequence[float]] | None = None,
                               gammas: Sequence[float] = DEFAULT_GAMMAS,
                               start: tuple[int, int, int, int] = (3, 4, 2, 0)):
    """The sweep of ``addressing_explorer`` precomputed on a grid and drawn in the browser.

    Returns an ``IPython.display.HTML`` object: range inputs pick beta, g, the shift
    distribution and gamma from the grid; four bar charts show the weighting after each stage.
    ``start`` holds the initial index into each of the four grids.

    The same HTML on every CPU: the sweep runs in float64, so that its rounding to three decimals
    cannot flip where float32 kernels differ in the 7th digit, and the element id is a hash of
    the inputs (the grid, the example's numbers rounded, ``start``), not of computed floats.
    """
    from IPython.display import HTML

    from .viz import STAGE_COLORS

    ex = ex or example()
    shifts = shifts or SHIFT_PRESETS
    ex64 = ex._replace(memory=ex.memory.double(), key=ex.key.double(), w_prev=ex.w_prev.double())
    result = sweep(ex64, betas, gates, list(shifts.values()), gammas)
    data = {
        "betas": [f"{b:g}" for b in betas],
        "gates": [f"{g:g}" for g in gates],
        "shifts": list(shifts.keys()),
        "gammas": [f"{k:g}" for k in gammas],
        "w_prev": _rounded(ex.w_prev[0]),
        **{name: _rounded(w) for name, w in result.items()},
    }
    payload = json.dumps(data, separators=(",", ":"))
    inputs = {"grid": [data["betas"], data["gates"], {k: list(v) for k, v in shifts.items()}, data["gammas"]],
              "memory": _rounded(ex64.memory[0]), "key": _rounded(ex64.key[0]), "w_prev": data["w_prev"],
              "start": list(start)}
    uid = "ntm-explorer-" + hashlib.sha1(json.dumps(inputs, separators=(",", ":")).encode()).hexdigest()[:10]

    names = [("beta", "key strength β", betas), ("g", "gate g", gates),
             ("s", "shift s", list(shifts)), ("gamma", "sharpen γ", gammas)]
    controls = "".join(
        f'<label><span class="ntm-x-name">{html.escape(label)}</span>'
        f'<input type="range" min="0" max="{len(values) - 1}" step="1" value="{start[i]}" '
        f'aria-label="{html.escape(label)}">'
        f'<output data-for="{key}"></output></label>'
        for i, (key, label, values) in enumerate(names)
    )
    panel_titles = ["content w<sup>c</sup> (β)", "gated w<sup>g</sup> (g)",
                    "shifted w̃ (s)", "sharpened w (γ)"]
    panels = "".join(
        f'<div class="ntm-x-panel"><div>{t}</div>'
        f'<svg viewBox="0 0 200 110" role="img" aria-label="weighting after stage {i + 1}"></svg></div>'
        for i, t in enumerate(panel_titles)
    )
    note = (f"Precomputed with <code>ntm_lib.addressing.address</code> for "
            f"{len(betas) * len(gates) * len(shifts) * len(gammas)} parameter settings; "
            f"the key is a noisy copy of slot {ex.target}, the previous focus is slot "
            f"{ex.previous} (dashed outline in the gated panel). Hover over a bar for its value.")
    page = _TEMPLATE.format(uid=uid, controls=controls, panels=panels, note=note,
                            data=payload.replace("</", "<\\/"),
                            colors=json.dumps(list(STAGE_COLORS)))
    return HTML(page)


# ---------------------------------------------------------------------------------------------
# The DNC's allocation weighting (chapter 13): usages under sliders, the free list and the
# allocation they give, computed by ntm_lib.dnc_addressing.allocation.

ALLOCATION_USAGE = (0.9, 0.2, 1.0, 0.5, 0.1)  # the chapter's example: slot 4 the least used
ALLOCATION_LEVELS = (0.0, 0.25, 0.5, 0.75, 1.0)  # the usages the static explorer offers per slot
ALLOCATION_START = (3, 1, 4, 2, 1)  # its first setting (0.75, 0.25, 1, 0.5, 0.25): indices into the levels


def allocation_explorer(usage: Sequence[float] = ALLOCATION_USAGE):
    """Live sliders over the usage of every slot; redraws the free list and the allocation
    weighting (``ntm_lib.dnc_addressing.allocation``) after every change.

    Returns an ``ipywidgets.interactive`` widget (core widgets only, as in ipywidgets 7.7 on Colab
    and 8): display it in Jupyter or on Colab.
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    from . import dnc_addressing, viz_dnc

    layout = widgets.Layout(width="300px")
    style = {"description_width": "80px"}

    def draw(**values):
        u = torch.tensor([[values[f"u{i}"] for i in range(len(usage))]])  # (1, N)
        viz_dnc.plot_allocation(u[0], dnc_addressing.allocation(u)[0])
        plt.show()

    sliders = {f"u{i}": widgets.FloatSlider(value=float(v), min=0.0, max=1.0, step=0.05,
                                            description=f"usage of {i}", continuous_update=False,
                                            readout_format=".2f", layout=layout, style=style)
               for i, v in enumerate(usage)}
    return widgets.interactive(draw, **sliders)


def allocation_sweep(num_slots: int = 5, levels: Sequence[float] = ALLOCATION_LEVELS) -> tuple[Tensor, Tensor]:
    """The allocation weighting of every usage vector whose entries are all in ``levels``, in one
    batched call of ``dnc_addressing.allocation`` in float64.

    Returns (usages, allocations), each (K, N) with K = len(levels) ** N, in the order of the
    level indices read as a number in base len(levels), slot 0 the most significant digit.
    """
    from . import dnc_addressing

    grid = torch.tensor(list(itertools.product(range(len(levels)), repeat=num_slots)))  # (K, N)
    usages = torch.tensor(levels, dtype=torch.float64)[grid]
    return usages, dnc_addressing.allocation(usages)


_ALLOCATION_TEMPLATE = """
<div class="dnc-explorer" id="{uid}">
<style>
#{uid} {{ font-size: 0.85em; margin: 0.5em 0 1em; }}
#{uid} .dnc-x-controls {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(190px, 1fr));
  gap: 0.3em 1.2em; margin-bottom: 0.6em; }}
#{uid} label {{ display: flex; align-items: center; gap: 0.5em; }}
#{uid} label output {{ min-width: 2.5em; font-family: monospace; }}
#{uid} input[type=range] {{ flex: 1; }}
#{uid} .dnc-x-panels {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(240px, 1fr)); gap: 0.8em; }}
#{uid} .dnc-x-panel {{ text-align: center; }}
#{uid} .dnc-x-summary {{ font-family: monospace; margin: 0.4em 0; }}
#{uid} svg {{ width: 100%; height: auto; }}
#{uid} svg text {{ fill: currentColor; font-size: 9px; }}
#{uid} svg line {{ stroke: currentColor; stroke-width: 0.6; }}
</style>
<div class="dnc-x-controls">{controls}</div>
<div class="dnc-x-summary"></div>
<div class="dnc-x-panels">{panels}</div>
<div class="dnc-x-note">{note}</div>
<script type="application/json" class="dnc-x-data">{data}</script>
<script>
(function () {{
  var root = document.getElementById("{uid}");
  if (!root || root.dataset.ready) return;
  root.dataset.ready = "1";
  var D = JSON.parse(root.querySelector(".dnc-x-data").textContent);
  var NS = "http://www.w3.org/2000/svg", W = 220, H = 132, P = 28;
  function el(name, attrs, parent) {{
    var node = document.createElementNS(NS, name);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(node);
    return node;
  }}
  function draw(svg, values, color, labels, tips) {{
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var n = values.length, bw = (W - P) / n, top = H - 2 * P - 12;
    el("line", {{x1: P, y1: H - P, x2: W, y2: H - P}}, svg);
    for (var i = 0; i < n; i++) {{
      var h = top * Math.max(0, Math.min(1, values[i]));
      var bar = el("rect", {{x: P + i * bw + 2, y: H - P - h, width: bw - 4, height: h, fill: color}}, svg);
      el("title", {{}}, bar).textContent = tips[i];
      el("text", {{x: P + (i + 0.5) * bw, y: H - P - h - 3, "text-anchor": "middle"}}, svg).textContent =
        values[i].toFixed(2);
      el("text", {{x: P + (i + 0.5) * bw, y: H - P + 11, "text-anchor": "middle"}}, svg).textContent = "slot " + i;
      if (labels) el("text", {{x: P + (i + 0.5) * bw, y: H - 4, "text-anchor": "middle",
        "font-weight": "bold"}}, svg).textContent = labels[i];
    }}
    el("text", {{x: P - 10, y: H - P - top + 3}}, svg).textContent = "1";
    el("text", {{x: P - 10, y: H - P}}, svg).textContent = "0";
  }}
  var inputs = root.querySelectorAll("input[type=range]");
  function update() {{
    var n = inputs.length, k = 0, u = [];
    for (var i = 0; i < n; i++) {{
      var level = +inputs[i].value;
      k = k * D.levels.length + level;
      u.push(+D.levels[level]);
      root.querySelector("output[data-slot='" + i + "']").textContent = D.levels[level];
    }}
    var a = D.allocation[k].map(function (x) {{ return x / 1000; }});
    var phi = D.free[k].split("").map(Number), rank = [], tipsU = [], tipsA = [], used = 1, sum = 0;
    for (var j = 0; j < n; j++) {{
      var s = phi[j];
      rank[s] = "\\u03c6" + (j + 1);
      tipsU[s] = "slot " + s + ": usage " + u[s] + ", place " + (j + 1) + " in the free list";
      tipsA[s] = "slot " + s + ": a = (1 - " + u[s] + ") \u00d7 " + used.toFixed(3) + " = " + a[s].toFixed(3) +
        (j ? " (1 - its usage, times the usages of the slots before it in the free list)" : " (1 - its usage)");
      used *= u[s];
      sum += a[s];
    }}
    var svgs = root.querySelectorAll("svg");
    draw(svgs[0], u, "{usage_color}", rank, tipsU);
    draw(svgs[1], a, "{allocation_color}", null, tipsA);
    root.querySelector(".dnc-x-summary").textContent = "free list \\u03c6 = (" + phi.join(", ") +
      ")    sum of the allocation weighting = " + sum.toFixed(2);
  }}
  for (var i = 0; i < inputs.length; i++) inputs[i].addEventListener("input", update);
  update();
}})();
</script>
</div>
"""


def static_allocation_explorer(num_slots: int = 5, levels: Sequence[float] = ALLOCATION_LEVELS,
                               start: Sequence[int] = ALLOCATION_START):
    """``allocation_explorer`` precomputed for every usage vector on a grid and drawn in the
    browser: one range input per slot picks its usage from ``levels``; two bar charts show the
    usages, with each slot's place in the free list, and the allocation weighting. ``start``: the
    first setting, indices into ``levels``. Returns an ``IPython.display.HTML`` object.

    The page is the same on every CPU: the sweep runs in float64 and is stored in thousandths, the
    free list is the order ``dnc_addressing.allocation`` sorts by (``torch.sort``), and the
    element id is a hash of the inputs.
    """
    from IPython.display import HTML

    from .viz_dnc import COLORS

    if len(start) != num_slots or not all(0 <= s < len(levels) for s in start):
        raise ValueError(f"start needs one index into levels (0..{len(levels) - 1}) per slot, got {start}")
    if num_slots > 10:
        raise ValueError("the page encodes slot numbers as single digits: at most 10 slots")
    usages, allocations = allocation_sweep(num_slots, levels)
    free_lists = torch.sort(usages, dim=-1).indices  # phi_t, as dnc_addressing.allocation sorts
    data = {
        "levels": [f"{v:g}" for v in levels],
        "allocation": torch.round(allocations * 1000).long().tolist(),
        "free": ["".join(str(s) for s in row) for row in free_lists.tolist()],
    }
    payload = json.dumps(data, separators=(",", ":"))
    inputs = {"slots": num_slots, "levels": data["levels"], "start": list(start)}
    uid = "dnc-allocation-" + hashlib.sha1(json.dumps(inputs, separators=(",", ":")).encode()).hexdigest()[:10]
    controls = "".join(
        f'<label><span>slot {i}</span>'
        f'<input type="range" min="0" max="{len(levels) - 1}" step="1" value="{start[i]}" '
        f'aria-label="usage of slot {i}"><output data-slot="{i}"></output></label>'
        for i in range(num_slots)
    )
    panels = "".join(
        f'<div class="dnc-x-panel"><div>{html.escape(t)}</div>'
        f'<svg viewBox="0 0 220 132" role="img" aria-label="{html.escape(t)}"></svg></div>'
        for t in ("usage u (φk: k-th in the free list)", "allocation weighting a")
    )
    note = (f"The sliders set the usage of each slot. Precomputed with "
            f"<code>ntm_lib.dnc_addressing.allocation</code> for all {len(levels) ** num_slots:,} usage "
            f"vectors with entries in {{{', '.join(data['levels'])}}}; slots of equal usage keep the order "
            "of their numbers. Hover over a bar for its value and how it is computed.")
    page = _ALLOCATION_TEMPLATE.format(uid=uid, controls=controls, panels=panels, note=note,
                                       data=payload.replace("</", "<\\/"),
                                       usage_color=COLORS["usage"], allocation_color=COLORS["allocation"])
    return HTML(page)
