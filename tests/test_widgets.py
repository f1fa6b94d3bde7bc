r"""ntm_lib.widgets: the static addressing explorer (chapter 3) is the same HTML on every CPU.

The explorer's page embeds a sweep of the addressing stages rounded to three decimals; nbval
compares that HTML with the committed one, so it must not depend on which CPU kernels computed it.
"""

import json
import os
import re
import subprocess
import sys

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
