// Attach a span to the words selected in the plain text of the document.
// The browser counts UTF-16 code units; the offsets sent are code points (what herlens
// stores), counted here once, and the server checks the quote against them.
(function () {
  "use strict";
  const text = document.getElementById("reattach-text");
  const form = document.getElementById("reattach-form");
  if (!text || !form) return;
  const button = document.getElementById("reattach-submit");
  const shown = document.getElementById("reattach-selection");

  function offsetOf(node, offset) {
    const range = document.createRange();
    range.setStart(text, 0);
    range.setEnd(node, offset);
    return Array.from(range.toString()).length; // code points, not UTF-16 units
  }

  function update() {
    const selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return;
    const range = selection.getRangeAt(0);
    if (!text.contains(range.startContainer) || !text.contains(range.endContainer)) return;
    const start = offsetOf(range.startContainer, range.startOffset);
    const end = offsetOf(range.endContainer, range.endOffset);
    const quote = Array.from(text.textContent).slice(start, end).join("");
    if (!quote.trim()) return;
    document.getElementById("reattach-start").value = String(start);
    document.getElementById("reattach-end").value = String(end);
    document.getElementById("reattach-quote").value = quote;
    shown.textContent = "Selected: “" + (quote.length > 120 ? quote.slice(0, 119) + "…" : quote) + "”";
    button.disabled = false;
  }

  document.addEventListener("selectionchange", update);
  text.addEventListener("mouseup", update);
  text.addEventListener("keyup", update);
})();
