"""Display tables: text and HTML show the same rounded cells; bad rows are refused."""
import pytest

from ntm_lib.tables import Table, format_cell


def test_text_and_html_show_the_same_rounded_cells():
    table = Table(["condition", "bits"], [["length 10", 0.123456], ["length 20", 12]])
    text = str(table)
    assert text.splitlines() == ["condition   bits", "length 10  0.123", "length 20     12"]
    html = table._repr_html_()
    assert html.count("<tr>") == 3 and "0.123" in html and "0.123456" not in html
    assert '<td style="text-align: right">12</td>' in html


def test_markdown_aligns_numbers_right():
    markdown = Table(["a", "b"], [["x", 1.5]]).to_markdown().splitlines()
    assert markdown == ["| a | b |", "|---|---:|", "| x | 1.500 |"]


def test_html_escapes_text():
    assert "&lt;b&gt;" in Table(["a"], [["<b>"]])._repr_html_()


def test_a_row_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match="row 1 has 1 cells, expected 2"):
        Table(["a", "b"], [[1, 2], [3]])


def test_integers_and_text_are_kept():
    assert format_cell(7) == "7" and format_cell("seven") == "seven"
    assert format_cell(2067.57) == "2068"


def test_wrap_repr_fits_the_width_and_keeps_the_text():
    from ntm_lib import NTMConfig
    from ntm_lib.tables import wrap_repr

    text = wrap_repr(NTMConfig(), width=60)
    assert all(len(line) <= 60 for line in text.splitlines())
    assert " ".join(line.strip() for line in text.splitlines()) == repr(NTMConfig())


def test_a_value_that_rounds_to_zero_has_no_sign():
    assert format_cell(-6e-6) == "0.000" and format_cell(-0.0) == "0.000"
    assert format_cell(-0.5) == "-0.500"


def test_fewer_significant_digits_where_the_fourth_is_noise():
    table = Table(["head", "BCE"], [["read 0", 35.7649], ["read 1", 7.0968]], significant=3)
    assert "35.8" in str(table) and "7.10" in str(table) and "35.76" not in table._repr_html_()
    assert "| read 1 | 7.10 |" in table.to_markdown()
