"""CSV as spreadsheets really write it: RFC 4180 quoting, CRLF, BOM, semicolons, legacy code pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotations.imports import IMPORTED
from annotations.imports import csv as csv_import
from annotations.imports.base import Rejected
from annotations.models import Document
from annotations.services.imports import import_files

CSV = Path(__file__).parent / "data" / "csv"


def documents(name):
    return [
        (d.title, d.text, d.author, d.source, d.metadata)
        for d in csv_import.parse(name, (CSV / name).read_bytes())
    ]


def test_excel_utf8_with_bom_crlf_quoted_commas_newlines_and_doubled_quotes():
    assert documents("excel-utf8-bom-crlf.csv") == [
        ("On voices", 'She said "hello", then left, quietly.', "Ana Ruiz", "", {}),
        ("Two, parts", "First paragraph.\nSecond paragraph, after a break.", "", "", {}),
        ("Plain", "Nothing to quote here", "Li Wei", "", {}),
    ]


def test_libreoffice_with_every_cell_quoted():
    assert documents("libreoffice-quoted.csv") == [
        (
            "Machines",
            'A "companion" — or a mirror?\nThe film leaves it open.',
            "",
            "review, 2014",
            {},
        ),
        ("Short", "Three; four, five.", "", "", {}),
    ]


def test_european_excel_semicolons_in_windows_1252():
    assert documents("excel-fr-cp1252.csv") == [
        ("Crème", "Une crème – très fine ; dit-on.", "Zoé", "", {}),
        ("Crême", "Une crême – très fine ; dit-on.", "Zoé", "", {}),
        ("Citation", 'Il a dit « non »; puis "oui".', "", "", {}),
    ]


def test_tab_separated_text_keeps_its_commas_and_semicolons():
    assert documents("tabs.tsv.csv") == [
        ("One", "A text, with a comma; and a semicolon.", "", "", {})
    ]


def test_quoting_is_read_from_the_rows_not_guessed_from_an_unquoted_header():
    data = b'title,text\nA,"He wrote ""yes"", twice."\n'
    [document] = csv_import.parse("x.csv", data)
    assert document.text == 'He wrote "yes", twice.'


def test_a_comma_inside_a_text_does_not_make_the_separator_a_semicolon():
    data = b'title,text\nA,"one; two; three; four, five"\nB,"six; seven; eight"\n'
    assert [d.text for d in csv_import.parse("x.csv", data)] == [
        "one; two; three; four, five",
        "six; seven; eight",
    ]


def test_a_quote_left_open_is_refused_instead_of_swallowing_the_rows_after_it():
    data = b'title,text\nA,"never closed\nB,second\nC,third\n'
    with pytest.raises(Rejected, match="cannot be read"):
        csv_import.parse("x.csv", data)


def test_a_row_with_too_many_cells_names_its_line():
    data = b"title,text\nA,fine\nB,one,two\n"
    with pytest.raises(Rejected, match="line 3 has 3 cells but the header has 2"):
        csv_import.parse("x.csv", data)


def test_legacy_csv_imports_every_row_and_the_result_names_the_encoding(project, owner):
    data = (CSV / "excel-fr-cp1252.csv").read_bytes()
    [result] = import_files(project=project, user=owner, sources=[("fr.csv", data)])
    assert result.status == IMPORTED
    assert result.documents == 3  # "Crème" and "Crême" are two texts, not duplicates
    assert result.message == "Imported 3 documents. Read as Windows-1252."
    assert sorted(Document.objects.filter(project=project).values_list("title", flat=True)) == [
        "Citation",
        "Crème",
        "Crême",
    ]
