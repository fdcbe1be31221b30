/* herlens class mode: merge live updates into the essay, and adjudication keys.
 *
 * The live poller (#live) is replaced by the server only when the spans the
 * reader may see changed; the new poller carries the re-drawn paragraphs in a
 * <template>. Only paragraphs that differ are swapped in, and never the one
 * holding the reader's selection (it waits until the selection is gone), so
 * selecting, scrolling and the open span stay as they were.
 */
(function () {
  "use strict";

  const pending = new Map();

  function selectionTouches(node) {
    const selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return false;
    return selection.getRangeAt(0).intersectsNode(node);
  }

  function selectedSpanId() {
    const panel = document.getElementById("span-panel");
    return panel ? panel.dataset.span : "";
  }

  function swapParagraph(current, fresh) {
    const copy = document.importNode(fresh, true);
    const selected = selectedSpanId();
    if (selected) {
      copy.querySelectorAll(`mark[data-s~="${selected}"]`).forEach((m) => m.classList.add("selected"));
    }
    current.replaceWith(copy);
  }

  function flushPending() {
    for (const [id, fresh] of pending) {
      const current = document.getElementById(id);
      if (!current) {
        pending.delete(id);
      } else if (!selectionTouches(current)) {
        swapParagraph(current, fresh);
        pending.delete(id);
      }
    }
  }

  function merge(poller) {
    const template = poller.querySelector("template");
    if (!template) return;
    const style = document.getElementById("tag-css");
    if (style && template.dataset.css && style.textContent !== template.dataset.css) {
      style.textContent = template.dataset.css;
    }
    for (const fresh of template.content.querySelectorAll("p.para")) {
      const current = document.getElementById(fresh.id);
      if (!current || current.outerHTML === fresh.outerHTML) continue;
      // Ignore the "selected" outline, which only this page adds.
      const plain = current.cloneNode(true);
      plain.querySelectorAll("mark.selected").forEach((m) => m.classList.remove("selected"));
      if (plain.outerHTML === fresh.outerHTML) continue;
      if (selectionTouches(current)) pending.set(fresh.id, fresh);
      else swapParagraph(current, fresh);
    }
    template.remove();
  }

  document.addEventListener("htmx:load", (event) => {
    const element = event.detail.elt;
    if (element && element.id === "live") merge(element);
  });
  document.addEventListener("selectionchange", () => {
    if (pending.size) flushPending();
  });

  /* Adjudication: words selected in the essay plus a tag's key go into the reference. */
  function addSelection(key) {
    const essay = document.getElementById("adjudicate-essay");
    const data = document.getElementById("adjudicate-shortcuts");
    if (!essay || !data || !window.herlens || !window.herlens.measureSelection) return false;
    const slug = JSON.parse(data.textContent)[key.toLowerCase()];
    if (!slug) return false;
    const measured = window.herlens.measureSelection(essay);
    if (!measured) return false;
    htmx.ajax("POST", essay.dataset.addUrl, {
      source: essay,
      target: "#adjudication",
      swap: "outerHTML",
      values: { start: measured.start, end: measured.end, quote: measured.quote, tag: slug },
    });
    window.getSelection().removeAllRanges();
    return true;
  }

  /* Adjudication: j/k move between passages, a accepts, x rejects the current one. */
  function setupAdjudication() {
    let index = -1;
    document.addEventListener("keydown", (event) => {
      if (!document.querySelector("[data-adjudicate]")) return;
      const target = event.target;
      if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (addSelection(event.key)) {
        event.preventDefault();
        return;
      }
      const items = Array.from(document.querySelectorAll("[data-candidate]"));
      if (!items.length) return;
      const current = items.indexOf(document.activeElement);
      if (current >= 0) index = current;
      if (event.key === "j" || event.key === "k") {
        index = Math.max(0, Math.min(items.length - 1, index + (event.key === "j" ? 1 : -1)));
        items[index].focus();
        items[index].scrollIntoView({ block: "nearest" });
        event.preventDefault();
      } else if ((event.key === "a" || event.key === "x") && index >= 0 && items[index]) {
        const button = items[index].querySelector(`button[data-key="${event.key}"]`);
        if (button) {
          button.click();
          event.preventDefault();
        }
      }
    });
    // After htmx re-draws the list, keep the focus on the same position.
    document.addEventListener("htmx:afterSettle", (event) => {
      if (!event.detail.elt || event.detail.elt.id !== "adjudication") return;
      const items = document.querySelectorAll("[data-candidate]");
      if (index >= 0 && items.length) items[Math.min(index, items.length - 1)].focus();
    });
  }
  setupAdjudication();
})();
