from __future__ import annotations

import spacy
from spacy.tokens import DocBin

from annotations.exports import export_stream
from annotations.exports.spacy import SPAN_KEY
from tests import corpus


def test_docbin_loads_with_spans_entities_and_exact_offsets(owner):
    project, extra = corpus.build(owner)
    data = b"".join(export_stream("spacy", project))
    docs = list(DocBin().from_bytes(data).get_docs(spacy.blank("en").vocab))
    assert [doc.text for doc in docs] == [extra["one"].text, extra["two"].text]
    one = docs[0]
    assert len(one.spans[SPAN_KEY]) == 5
    labels = {span.label_ for span in one.spans[SPAN_KEY]}
    assert labels == {"claim", "film-reference", "prediction"}
    # "film" lies inside a claim, so neither becomes an entity; the lone ones do.
    entity_texts = {ent.text for ent in one.ents}
    assert "film" not in entity_texts
    assert "Zoë" in entity_texts
    exact = one.user_data[SPAN_KEY]["spans"]
    assert all(one.text[s["start"] : s["end"]] for s in exact)
    assert one.user_data[SPAN_KEY]["document_id"] == extra["one"].pk
