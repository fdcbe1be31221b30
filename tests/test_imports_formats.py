"""The parsers of each format: bytes in, documents out (no database)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from annotations.imports import csv as csv_import
from annotations.imports import docx, html, jsonl, markdown, txt
from annotations.imports.base import ImportLimits, Rejected


def test_txt_is_one_document_titled_after_the_file():
    [document] = txt.parse("essays/on-machines.txt", b"A text.\r\nMore.")
    assert document.title == "on-machines"
    assert document.text == "A text.\nMore."


def test_markdown_keeps_the_text_and_takes_the_first_heading_as_title():
    source = "Intro line\n\n# The voice in the machine\n\nSome *emphasis* here.\n"
    [document] = markdown.parse("x.md", source.encode())
    assert document.title == "The voice in the machine"
    assert document.text == source


def test_html_keeps_visible_paragraphs_and_drops_scripts_and_styles():
    page = b"""<!doctype html><html><head><title>A review</title>
    <style>p { color: red }</style><script>alert("x")</script></head>
    <body><h1>Heading</h1><p>First   paragraph
    wraps here.</p><div>Second &amp; last<br>line two</div>
    <script>document.write("hidden")</script><noscript>also hidden</noscript></body></html>"""
    [document] = html.parse("page.html", page)
    assert document.title == "A review"
    assert document.text == "Heading\n\nFirst paragraph wraps here.\n\nSecond & last\nline two"


def test_html_does_not_expand_declared_entities():
    page = b"""<!DOCTYPE html [<!ENTITY boom "BOOM BOOM BOOM">]><p>Before &boom; after</p>"""
    [document] = html.parse("bomb.html", page)
    assert "BOOM BOOM" not in document.text
    assert document.text.startswith("Before")


def test_html_without_visible_text_is_rejected():
    with pytest.raises(Rejected, match="no visible text"):
        html.parse("empty.html", b"<html><head><script>x()</script></head><body> </body></html>")


W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def make_docx(body: str, title: str = "", extra_document: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "word/document.xml",
            f'<?xml version="1.0"?>{extra_document}'
            f"<w:document {W}><w:body>{body}</w:body></w:document>",
        )
        if title:
            archive.writestr(
                "docProps/core.xml",
                '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
                'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
                f"<dc:title>{title}</dc:title></cp:coreProperties>",
            )
    return buffer.getvalue()


def test_docx_gives_paragraph_text_and_its_title():
    body = (
        "<w:p><w:r><w:t>First </w:t></w:r><w:r><w:t>paragraph.</w:t></w:r></w:p>"
        "<w:p></w:p><w:p><w:r><w:t>Second</w:t><w:tab/><w:t>one</w:t><w:br/><w:t>wrapped</w:t>"
        "</w:r></w:p>"
    )
    [document] = docx.parse("essay.docx", make_docx(body, title="Machines that listen"))
    assert document.title == "Machines that listen"
    assert document.text == "First paragraph.\n\nSecond\tone\nwrapped"


def test_docx_text_box_paragraphs_are_read_once():
    body = (
        "<w:p><w:r><w:t>Outer </w:t></w:r><w:r><w:txbxContent>"
        "<w:p><w:r><w:t>boxed</w:t></w:r></w:p></w:txbxContent></w:r></w:p>"
    )
    [document] = docx.parse("box.docx", make_docx(body))
    assert document.text == "Outer boxed"


def test_docx_with_an_entity_declaration_is_refused():
    dtd = '<!DOCTYPE w:document [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
    with pytest.raises(Rejected, match="refused for safety"):
        docx.parse(
            "bomb.docx", make_docx("<w:p><w:r><w:t>&b;</w:t></w:r></w:p>", extra_document=dtd)
        )


def test_something_else_named_docx_is_rejected():
    with pytest.raises(Rejected, match="not a zip"):
        docx.parse("fake.docx", b"plain text pretending")


def test_docx_member_larger_than_the_limit_is_refused():
    data = make_docx("<w:p><w:r><w:t>" + "x" * 5000 + "</w:t></w:r></w:p>")
    with pytest.raises(Rejected, match="limit"):
        docx.parse("big.docx", data, ImportLimits(max_file_bytes=1000))


def test_csv_rows_become_documents_with_other_columns_as_metadata():
    data = (
        b"Title,Text,grade,author\r\n"
        b'One,"First essay, with a comma\nand a line",B+,Ada\r\n'
        b"Two,Second essay,A,\r\n"
    )
    one, two = csv_import.parse("class.csv", data)
    assert (one.title, one.text, one.author, one.metadata) == (
        "One",
        "First essay, with a comma\nand a line",
        "Ada",
        {"grade": "B+"},
    )
    assert two.metadata == {"grade": "A"}


def test_csv_with_semicolons_is_read():
    [document] = csv_import.parse("x.csv", b"title;text\nA;Some text here\n")
    assert document.text == "Some text here"


def test_csv_without_a_text_column_names_the_columns_it_has():
    with pytest.raises(Rejected, match="its columns are: “title”, “body”"):
        csv_import.parse("x.csv", b"title,body\nA,B\n")


def test_csv_row_with_an_empty_text_rejects_the_file():
    with pytest.raises(Rejected, match="line 3 has an empty text"):
        csv_import.parse("x.csv", b"title,text\nA,fine\nB,\n")


def parse_jsonl(data: bytes):
    return list(jsonl.parse("x.jsonl", data))


def jsonl_line(**fields) -> str:
    return json.dumps(fields, ensure_ascii=False)


def test_jsonl_reads_documents_and_spans():
    line = jsonl_line(
        title="T",
        text="Zoë saw 🎬 it",
        metadata={"k": 1},
        spans=[{"start": 8, "end": 9, "tag": "Claim", "text": "🎬", "annotator": "ada"}],
    )
    [document] = parse_jsonl((line + "\n\n").encode())
    assert document.metadata == {"k": 1}
    [span] = document.spans
    assert (span.start, span.end, span.tag, span.annotator) == (8, 9, "Claim", "ada")


def test_jsonl_span_whose_text_does_not_match_is_rejected():
    # 9-10 would be right in code points; 9-11 is what UTF-16 counting gives for the emoji.
    line = jsonl_line(
        title="T", text="Zoë saw 🎬 it", spans=[{"start": 8, "end": 10, "tag": "c", "text": "🎬"}]
    )
    with pytest.raises(Rejected, match="line 1, span 1: the text at 8-10"):
        parse_jsonl(line.encode())


def test_jsonl_text_that_normalising_would_change_is_rejected_when_it_has_spans():
    line = jsonl_line(title="T", text="Zoe\u0308 here", spans=[{"start": 5, "end": 9, "tag": "c"}])
    with pytest.raises(Rejected, match="normal form"):
        parse_jsonl(line.encode())


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("{not json", "line 1 is not valid JSON"),
        ('["a list"]', "not a JSON object"),
        ('{"title": "T"}', "no “text”"),
        (
            '{"title": "T", "text": "x", "spans": [{"start": "1", "end": 2, "tag": "c"}]}',
            "span 1: “start” must be a whole number",
        ),
        (
            '{"title": "T", "text": "xy", "spans": [{"start": 0, "end": true, "tag": "c"}]}',
            "span 1: “end” must be a whole number",
        ),
        ('{"title": "T", "text": "xy", "spans": [{"start": 0, "end": 1}]}', "no “tag”"),
    ],
)
def test_jsonl_errors_say_where_and_why(line, reason):
    with pytest.raises(Rejected, match=reason):
        parse_jsonl(line.encode())


def test_jsonl_reads_utf16_files_and_crlf_lines():
    data = (jsonl_line(title="A", text="one") + "\r\n" + jsonl_line(title="B", text="two")).encode(
        "utf-16"
    )
    assert [d.title for d in parse_jsonl(data)] == ["A", "B"]


def test_jsonl_line_that_is_not_utf8_is_rejected():
    data = jsonl_line(title="A", text="x").encode() + b"\n" + b'{"title": "caf\xe9"}'
    with pytest.raises(Rejected, match="line 2 is not UTF-8"):
        parse_jsonl(data)


def test_jsonl_nul_in_text_is_rejected():
    with pytest.raises(Rejected, match="NUL"):
        parse_jsonl(b'{"title": "T", "text": "a\\u0000b"}')


def test_markdown_title_is_the_plain_text_of_the_first_level_one_heading():
    source = "Intro\n\n## Not this\n\n# The *voice* in `the` machine ##\n\nBody.\n"
    [document] = markdown.parse("x.md", source.encode())
    assert document.title == "The voice in the machine"


def test_markdown_setext_heading_is_a_title_and_a_hash_in_code_is_not():
    source = "```\n# not a heading\n```\n\nMachines and us\n===============\n\nText.\n"
    [document] = markdown.parse("x.md", source.encode())
    assert document.title == "Machines and us"


def test_markdown_without_a_level_one_heading_is_titled_after_the_file():
    [document] = markdown.parse("notes/on-her.md", b"## Only a subheading\n\nText.\n")
    assert document.title == "on-her"


def test_html_comments_declarations_and_raw_text_never_reach_the_text():
    page = b"""<!DOCTYPE html><!-- a <p>comment</p> --><?xml-stylesheet x?>
    <p title="a > b">Shown &eacute;t&eacute;</p><script>if (a < b) { x("</p>") }</script>
    <style>p::after { content: "<b>" }</style><p>Also shown</p>"""
    [document] = html.parse("page.html", page)
    assert document.text == "Shown été\n\nAlso shown"


def test_html_title_keeps_its_character_references():
    [document] = html.parse("page.html", b"<title>Q&amp;A: <i>her</i></title><p>Body</p>")
    assert document.title == "Q&A: <i>her</i>"


def test_html_tag_or_comment_left_open_at_the_end_drops_only_what_follows_it():
    [document] = html.parse("a.html", b"<p>Kept</p><p>Also kept<!-- never closed <p>lost")
    assert document.text == "Kept\n\nAlso kept"
    [document] = html.parse("b.html", b'<p>Kept</p><a href="never closed>lost')
    assert document.text == "Kept"


def test_html_lone_less_than_signs_are_text():
    [document] = html.parse("x.html", b"<p>1 < 2 and 3 <= 4</p>")
    assert document.text == "1 < 2 and 3 <= 4"


def test_jsonl_control_characters_are_repaired_in_place_and_the_offsets_still_fit():
    line = {
        "title": "Dashes",
        "text": "Pages 10\u009612 say \u0093hello\u0094.",
        "spans": [{"start": 6, "end": 11, "tag": "claim", "text": "10\u009612"}],
    }
    [document] = jsonl.parse("x.jsonl", json.dumps(line).encode())
    assert document.text == "Pages 10–12 say “hello”."
    assert document.text[6:11] == "10–12"
    assert document.remark.startswith("line 1: 3 control characters replaced")
