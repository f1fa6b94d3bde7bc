r"""ntm_lib.widgets: the static addressing explorer (chapter 3) is the same HTML on every CPU.

The explorer's page embeds a sweep of the addressing stages rounded to three decimals; nbval
compares that HTML with the committed one, so it must not depend on which CPU kernels computed it.
"""

import json
import os
import re
import subprocess
import sys

import pytest
import torch

from ntm_lib import widgets


def payload(page: str) -> dict:
    text = re.search(r'<script type="application/json" class="ntm-x-data">(.*?)</script>', page, re.S).group(1)
    return json.loads(text.replace("<\\/", "</"))


def explorer_html(**kwargs) -> str:
    return widgets.static_addressing_explorer(**kwargs).data


def test_weightings_in_the_page_are_distributions():
    page = explorer_html()
    data = payload(page)
    for name in ("content", "gated", "shifted", "sharpened"):
        rows = torch.tensor(data[name]).reshape(-1, 10)
        torch.testing.assert_close(rows.sum(-1), torch.ones(len(rows), dtype=rows.dtype), atol=6e-3, rtol=0)
        assert (rows >= 0).all()


def test_the_element_id_depends_on_the_inputs_only():
    first, again = explorer_html(), explorer_html()
    ids = re.findall(r'id="(ntm-explorer-[0-9a-f]{10})"', first)
    assert ids and ids == re.findall(r'id="(ntm-explorer-[0-9a-f]{10})"', again)
    other = re.findall(r'id="(ntm-explorer-[0-9a-f]{10})"', explorer_html(start=(0, 0, 0, 0)))
    assert other != ids


def test_the_page_is_the_same_with_other_cpu_kernels():
    # The same call in a fresh process forced onto the scalar kernels (and MKL's compatible path).
    code = "from ntm_lib import widgets; print(widgets.static_addressing_explorer().data, end='')"
    env = dict(os.environ, ATEN_CPU_CAPABILITY="default", MKL_CBWR="COMPATIBLE")
    other = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert other == explorer_html()


# --- the allocation explorer (chapter 13) ---------------------------------------------------------


def allocation_payload(page: str) -> dict:
    text = re.search(r'<script type="application/json" class="dnc-x-data">(.*?)</script>', page, re.S).group(1)
    return json.loads(text.replace("<\\/", "</"))


def test_allocation_sweep_covers_the_grid_in_order_and_matches_the_library():
    from ntm_lib import dnc_addressing

    usages, allocations = widgets.allocation_sweep(3, (0.0, 0.5, 1.0))
    assert usages.shape == allocations.shape == (27, 3) and usages.dtype == torch.float64
    assert usages[0].tolist() == [0, 0, 0] and usages[5].tolist() == [0.0, 0.5, 1.0] and usages[-1].tolist() == [1, 1, 1]
    torch.testing.assert_close(allocations, dnc_addressing.allocation(usages))


def test_allocation_page_holds_the_library_allocation_and_free_list_of_every_setting():
    page = widgets.static_allocation_explorer().data
    data = allocation_payload(page)
    levels = [float(v) for v in data["levels"]]
    assert levels == list(widgets.ALLOCATION_LEVELS) and len(data["allocation"]) == len(data["free"]) == 5 ** 5
    usages, allocations = widgets.allocation_sweep(5, levels)
    stored = torch.tensor(data["allocation"], dtype=torch.float64) / 1000
    torch.testing.assert_close(stored, allocations, atol=5.001e-4, rtol=0)  # thousandths, halves to even
    assert (stored.sum(-1) <= 1.0 + 5e-3).all() and (stored >= 0).all()
    # the free list is the ascending order of usage, equal usages by slot number (what the page says)
    stable = torch.sort(usages, dim=-1, stable=True).indices
    assert data["free"] == ["".join(map(str, row)) for row in stable.tolist()]
    # the first setting: slots 1 and 4 equally used (0.25), slot 1 first
    k = int("".join(map(str, widgets.ALLOCATION_START)), 5)
    assert data["free"][k] == "14302" and data["allocation"][k] == [8, 750, 0, 31, 188]


def test_allocation_page_id_depends_on_the_inputs_only_and_bad_settings_fail():
    first = widgets.static_allocation_explorer().data
    ids = re.findall(r'id="(dnc-allocation-[0-9a-f]{10})"', first)
    assert ids and ids == re.findall(r'id="(dnc-allocation-[0-9a-f]{10})"', widgets.static_allocation_explorer().data)
    other = widgets.static_allocation_explorer(start=(0, 0, 0, 0, 0)).data
    assert re.findall(r'id="(dnc-allocation-[0-9a-f]{10})"', other) != ids
    assert "ntm-explorer" not in first  # the browser test of chapter 3's explorer must not pick it up
    for start in ((0, 0, 0, 0), (0, 0, 0, 0, 5)):
        with pytest.raises(ValueError, match="start needs one index"):
            widgets.static_allocation_explorer(start=start)


def test_allocation_page_is_the_same_with_other_cpu_kernels():
    code = "from ntm_lib import widgets; print(widgets.static_allocation_explorer().data, end='')"
    env = dict(os.environ, ATEN_CPU_CAPABILITY="default", MKL_CBWR="COMPATIBLE")
    other = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert other == widgets.static_allocation_explorer().data


def test_live_allocation_explorer_uses_core_sliders_and_redraws(monkeypatch):
    ipywidgets = pytest.importorskip("ipywidgets")
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.setattr(plt, "show", lambda: None)
    explorer = widgets.allocation_explorer()
    sliders = [c for c in explorer.children if isinstance(c, ipywidgets.FloatSlider)]
    assert [s.value for s in sliders] == list(widgets.ALLOCATION_USAGE)
    sliders[4].value = 1.0  # redraws through viz_dnc.plot_allocation without an error
    plt.close("all")
