/* herlens: turn a text selection into a span, and drive the annotate page from the keyboard.
 *
 * The essay is rendered on the server as paragraphs of runs (bare text, or <mark>
 * under spans); a paragraph carries the code-point offset of its first character.
 * The browser counts in UTF-16; this file converts a selection to code points once,
 * here, and sends both the offsets and the selected text so the server can check
 * they agree.
 */
(function () {
  "use strict";

  const graphemes = "Segmenter" in Intl ? new Intl.Segmenter(undefined, { granularity: "grapheme" }) : null;

  /** Count code points in a JS (UTF-16) string. */
  function codePointLength(text) {
    let count = 0;
    for (let i = 0; i < text.length; i++) {
      const unit = text.charCodeAt(i);
      // A high surrogate followed by a low one is a single code point.
      if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
        const next = text.charCodeAt(i + 1);
        if (next >= 0xdc00 && next <= 0xdfff) i++;
      }
      count++;
    }
    return count;
  }

  /** Move a UTF-16 offset in text to the nearest grapheme boundary (backwards or forwards). */
  function snapToGrapheme(text, offset, forwards) {
    if (offset <= 0 || offset >= text.length) return Math.max(0, Math.min(offset, text.length));
    if (!graphemes) {
      const unit = text.charCodeAt(offset);
      if (unit >= 0xdc00 && unit <= 0xdfff) return forwards ? offset + 1 : offset - 1;
      return offset;
    }
    let previous = 0;
    for (const { index } of graphemes.segment(text)) {
      if (index === offset) return offset;
      if (index > offset) return forwards ? index : previous;
      previous = index;
    }
    return forwards ? text.length : previous;
  }

  // --- The essay's runs and spans, worked out from the page when needed ------------------------
  // A paragraph (p.para) holds bare text and <mark> runs, nothing else; it knows its own
  // code-point offset (data-start) and lists the spans that begin in it (data-spans: "id offset
  // length" triples, offsets from data-start). Nothing here runs at load: a page with thousands
  // of spans pays only when the reader clicks, selects or steps. Paragraphs are replaced, never
  // edited, when spans change, so what is worked out per paragraph is kept per element.
  const runCache = new WeakMap();
  const spanCache = new WeakMap();

  function essayRoot(root) {
    return root || document.getElementById("essay");
  }

  /** Return a paragraph's runs, [{node, mark, start, end}] with code-point offsets. */
  function runsOf(paragraph) {
    let runs = runCache.get(paragraph);
    if (runs) return runs;
    runs = [];
    let position = Number(paragraph.dataset.start);
    for (const child of paragraph.childNodes) {
      const node = child.nodeType === Node.TEXT_NODE ? child : child.firstChild;
      if (!node || node.nodeType !== Node.TEXT_NODE) continue;
      const length = codePointLength(node.data);
      runs.push({ node, mark: child === node ? null : child, start: position, end: position + length });
      position += length;
    }
    runCache.set(paragraph, runs);
    return runs;
  }

  /** Return every run of the essay in reading order. */
  function runsIn(root) {
    return Array.from(essayRoot(root).querySelectorAll("p.para")).flatMap(runsOf);
  }

  /** Return the spans that begin in a paragraph: [{id, start, end}], ids as strings. */
  function spansStartingIn(paragraph) {
    let spans = spanCache.get(paragraph);
    if (spans) return spans;
    spans = [];
    const numbers = (paragraph.dataset.spans || "").split(" ").filter(Boolean).map(Number);
    const base = Number(paragraph.dataset.start);
    for (let i = 0; i + 2 < numbers.length; i += 3) {
      const start = base + numbers[i + 1];
      spans.push({ id: String(numbers[i]), start, end: start + numbers[i + 2] });
    }
    spanCache.set(paragraph, spans);
    return spans;
  }

  /** Return the spans drawn in the essay in reading order (start, longest first, oldest first). */
  function spansIn(root) {
    return Array.from(essayRoot(root).querySelectorAll("p.para")).flatMap(spansStartingIn);
  }

  const outermostFirst = (a, b) =>
    b.end - b.start - (a.end - a.start) || a.start - b.start || Number(a.id) - Number(b.id);

  /** Return the ids of the spans covering a highlight (a <mark> run), outermost first. */
  function spansAt(mark) {
    const paragraph = mark.closest("p.para");
    const run = paragraph && runsOf(paragraph).find((candidate) => candidate.mark === mark);
    if (!run) return [];
    return spansIn(paragraph.parentElement)
      .filter((span) => span.start <= run.start && run.end <= span.end)
      .sort(outermostFirst)
      .map((span) => span.id);
  }

  /** Return the highlights (<mark> runs) of one span, in reading order. */
  function marksOf(id, root) {
    const essay = essayRoot(root);
    const span = spansIn(essay).find((candidate) => candidate.id === String(id));
    if (!span) return [];
    const marks = [];
    for (const paragraph of essay.querySelectorAll("p.para")) {
      if (Number(paragraph.dataset.end) <= span.start || Number(paragraph.dataset.start) >= span.end) continue;
      for (const run of runsOf(paragraph)) {
        if (run.mark && span.start <= run.start && run.end <= span.end) marks.push(run.mark);
      }
    }
    return marks;
  }

  /**
   * Measure the selection inside the essay: return {start, end, quote} in code points,
   * snapped to whole characters and trimmed of surrounding whitespace, or null.
   */
  function measureSelection(essay) {
    const selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
    const range = selection.getRangeAt(0);
    if (!essay.contains(range.commonAncestorContainer)) return null;

    const runs = [];
    for (const paragraph of essay.querySelectorAll("p.para")) {
      if (!range.intersectsNode(paragraph)) continue;
      for (const run of runsOf(paragraph)) {
        if (range.intersectsNode(run.node)) runs.push([run, paragraph]);
      }
    }
    let start = null;
    let end = null;
    let quote = "";
    for (const [run, paragraph] of runs) {
      const node = run.node;
      const runStart = run.start;
      let from = node === range.startContainer ? range.startOffset : 0;
      let to = node === range.endContainer ? range.endOffset : node.data.length;
      from = snapToGrapheme(node.data, from, false);
      to = snapToGrapheme(node.data, to, true);
      if (from >= to) continue;
      const pieceStart = runStart + codePointLength(node.data.slice(0, from));
      if (start === null) {
        start = pieceStart;
      } else if (pieceStart > end) {
        // Text between paragraphs is not drawn; the paragraph keeps it in data-before.
        const gap = paragraph.dataset.before || "";
        if (codePointLength(gap) !== pieceStart - end) return null;
        quote += gap;
      }
      const piece = node.data.slice(from, to);
      quote += piece;
      end = pieceStart + codePointLength(piece);
    }
    if (start === null) return null;

    const chars = Array.from(quote);
    let head = 0;
    let tail = chars.length;
    while (head < tail && /\s/u.test(chars[head])) head++;
    while (tail > head && /\s/u.test(chars[tail - 1])) tail--;
    if (head === tail) return null;
    return {
      start: start + head,
      end: end - (chars.length - tail),
      quote: chars.slice(head, tail).join(""),
    };
  }

  // One of each on the page, shared by every handler that restarts it.
  let toastTimer = null;
  let undoTimer = null;

  /** A message over the page; one with a next step (reload…) stays until it is taken or closed. */
  function toast(message, step) {
    const box = document.getElementById("toast");
    if (!box) return;
    box.replaceChildren(document.createTextNode(message));
    clearTimeout(toastTimer);
    if (step) {
      const close = document.createElement("button");
      close.type = "button";
      close.className = "link";
      close.textContent = "Close";
      close.addEventListener("click", () => (box.hidden = true));
      box.append(" ", step, " ", close);
    } else {
      toastTimer = setTimeout(() => (box.hidden = true), 6000);
    }
    box.hidden = false;
  }

  function csrfHeaders() {
    const raw = document.body.getAttribute("hx-headers");
    try {
      return raw ? JSON.parse(raw) : {};
    } catch (_error) {
      return {};
    }
  }

  const SELECT_FIRST = "Select some words in the essay first.";
  const NOTHING_TO_TAG = "The selection holds only spaces or line breaks; select some words.";
  const PANEL_HINT = "Select words in the essay, then press a tag’s key or button. Click a highlight to open it here.";

  function setupAnnotatePage(page) {
    const essay = document.getElementById("essay");
    const createUrl = page.dataset.createUrl;
    const canAnnotate = page.dataset.canAnnotate === "1";
    const shortcutsNode = document.getElementById("tag-shortcuts");
    const shortcuts = shortcutsNode ? JSON.parse(shortcutsNode.textContent) : {};
    let selectedSpan = null;
    let pending = false;

    // The page names each span URL with 0 for the id (as herlens-suggest.js reads its URLs).
    const spanUrls = {
      "": page.dataset.spanUrl,
      edit: page.dataset.spanEditUrl,
      delete: page.dataset.spanDeleteUrl,
    };
    const spanUrl = (id, action = "") => spanUrls[action].replace(/\/0\/([a-z]+\/)?$/, `/${id}/$1`);

    function markSelected(id) {
      essay.querySelectorAll("mark.selected").forEach((m) => m.classList.remove("selected"));
      document.querySelectorAll(".span-entry.current").forEach((a) => a.classList.remove("current"));
      selectedSpan = id ? String(id) : null;
      if (!selectedSpan) return;
      marksOf(selectedSpan, essay).forEach((m) => m.classList.add("selected"));
      const entry = document.querySelector(`.span-entry[data-span="${selectedSpan}"]`);
      if (entry) entry.classList.add("current");
    }

    function openSpan(id, scroll) {
      markSelected(id);
      if (scroll) marksOf(id, essay)[0]?.scrollIntoView({ block: "center", behavior: "smooth" });
      return htmx.ajax("GET", spanUrl(id), { target: "#span-panel", swap: "outerHTML", source: essay });
    }

    function post(url, values) {
      return htmx.ajax("POST", url, {
        target: "#span-panel",
        swap: "outerHTML",
        source: essay,
        values,
        headers: csrfHeaders(),
      });
    }

    function tagSelection(tagSlug) {
      if (!canAnnotate) {
        toast(page.dataset.refusal || "Your role in this project does not allow annotating.");
        return true;
      }
      const measured = measureSelection(essay);
      if (!measured) return false;
      if (pending) return true;
      pending = true;
      post(createUrl, { start: measured.start, end: measured.end, tag: tagSlug, quote: measured.quote }).finally(
        () => (pending = false),
      );
      window.getSelection().removeAllRanges();
      return true;
    }

    /** Put the panel back to its hint, so it never shows a span the keys no longer act on. */
    function clearPanel() {
      const panel = document.getElementById("span-panel");
      if (!panel || !panel.dataset.span) return;
      const hint = document.createElement("p");
      hint.className = "muted";
      hint.textContent = PANEL_HINT;
      panel.replaceChildren(hint);
      panel.dataset.span = "";
    }

    function stepSpan(direction) {
      const anchors = spansIn(essay).map((span) => span.id);
      if (!anchors.length) return;
      let index = anchors.indexOf(selectedSpan);
      index = index === -1 ? (direction > 0 ? 0 : anchors.length - 1) : index + direction;
      index = Math.max(0, Math.min(anchors.length - 1, index));
      openSpan(anchors[index], true);
    }

    document.querySelectorAll(".tag-button").forEach((button) => {
      // Keep the selection: a mousedown on a button would otherwise clear it.
      button.addEventListener("mousedown", (event) => event.preventDefault());
      button.addEventListener("click", (event) => {
        // The second click of a double-click, or a click while the first is on its way.
        if (event.detail > 1 || pending) return;
        const selection = window.getSelection();
        const selecting = selection && !selection.isCollapsed && essay.contains(selection.anchorNode);
        if (tagSelection(button.dataset.tag)) return;
        if (selecting) toast(NOTHING_TO_TAG);
        else if (selectedSpan) post(spanUrl(selectedSpan, "edit"), { tag: button.dataset.tag });
        else toast(SELECT_FIRST);
      });
    });

    essay.addEventListener("click", (event) => {
      const mark = event.target.closest("mark");
      const selection = window.getSelection();
      if (!mark || (selection && !selection.isCollapsed)) return;
      // Innermost first; clicking again walks outwards through nested spans.
      const order = spansAt(mark).reverse();
      if (!order.length) return;
      const at = order.indexOf(selectedSpan);
      openSpan(order[(at + 1) % order.length], false);
    });

    document.addEventListener("click", (event) => {
      const entry = event.target.closest(".span-entry");
      if (!entry) return;
      markSelected(entry.dataset.span);
      marksOf(entry.dataset.span, essay)[0]?.scrollIntoView({ block: "center", behavior: "smooth" });
    });

    document.querySelector(".help-toggle")?.addEventListener("click", toggleHelp);
    function toggleHelp() {
      const help = document.getElementById("keyboard-help");
      help.hidden = !help.hidden;
      document.querySelector(".help-toggle")?.setAttribute("aria-expanded", String(!help.hidden));
    }

    function placeCaretAtStart() {
      const paragraph = essay.querySelector("p.para");
      const first = paragraph && runsOf(paragraph)[0];
      if (first) window.getSelection().collapse(first.node, 0);
    }

    document.addEventListener("keydown", (event) => {
      const target = event.target;
      if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
      const selection = window.getSelection();
      const inEssay = selection && selection.rangeCount > 0 && essay.contains(selection.anchorNode);

      // Keyboard selection inside the focused essay (Chromium needs caret browsing otherwise).
      if (document.activeElement === essay && event.key.startsWith("Arrow")) {
        if (!inEssay) placeCaretAtStart();
        const forward = event.key === "ArrowRight" || event.key === "ArrowDown";
        const granularity =
          event.key === "ArrowUp" || event.key === "ArrowDown" ? "line" : event.ctrlKey ? "word" : "character";
        window.getSelection().modify(event.shiftKey ? "extend" : "move", forward ? "forward" : "backward", granularity);
        event.preventDefault();
        return;
      }
      if (event.ctrlKey && !event.shiftKey && event.key.toLowerCase() === "z") {
        const undo = document.querySelector("#span-panel form[data-undo]");
        if (undo) {
          undo.requestSubmit();
          event.preventDefault();
        }
        return;
      }
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
      if (shortcuts[key]) {
        if (inEssay && !selection.isCollapsed) {
          if (!tagSelection(shortcuts[key])) toast(NOTHING_TO_TAG);
        } else if (selectedSpan) {
          post(spanUrl(selectedSpan, "edit"), { tag: shortcuts[key] });
        } else {
          toast(SELECT_FIRST);
        }
        event.preventDefault();
      } else if (key === "]" || key === "[") {
        stepSpan(key === "]" ? 1 : -1);
        event.preventDefault();
      } else if ((key === "Delete" || key === "Backspace") && selectedSpan) {
        post(spanUrl(selectedSpan, "delete"), {});
        event.preventDefault();
      } else if (key === "Escape") {
        selection?.removeAllRanges();
        markSelected(null);
        clearPanel();
      } else if (key === "?") {
        toggleHelp();
      }
    });

    document.body.addEventListener("spansChanged", (event) => {
      const id = event.detail && event.detail.span;
      markSelected(id || null);
    });
    document.body.addEventListener("htmx:afterSwap", (event) => {
      if (event.detail.target && event.detail.target.id === "span-sidebar") markSelected(selectedSpan);
      const undo = document.querySelector("#span-panel form[data-undo]");
      if (undo) {
        clearTimeout(undoTimer);
        // Offer Undo for a while, then put the panel back to its hint.
        undoTimer = setTimeout(() => {
          const still = document.querySelector("#span-panel form[data-undo]");
          if (still) still.closest("#span-panel").innerHTML = '<p class="muted">Span deleted.</p>';
        }, 10000);
      }
    });

    const initial = document.getElementById("span-panel")?.dataset.span;
    if (initial) markSelected(initial);
  }

  // 409: someone else saved the same thing first. The answer is the object as it is now,
  // with "keep theirs / use mine": show it in place instead of an error toast.
  document.addEventListener("htmx:beforeSwap", (event) => {
    const xhr = event.detail.xhr;
    if (xhr && xhr.status === 409 && xhr.getResponseHeader("Content-Type")?.startsWith("text/html")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  // A poller marked data-poll-when-visible skips its turn while the tab is in the background.
  // (Here rather than as an htmx trigger filter: filters are compiled with Function(), which
  // the Content-Security-Policy forbids.)
  document.addEventListener("htmx:beforeRequest", (event) => {
    const element = event.detail && event.detail.elt;
    if (document.hidden && element && element.hasAttribute("data-poll-when-visible")) event.preventDefault();
  });

  // A plain form marked data-once is sent once: a second click while the first is on its
  // way would create twice, or replace the answer (say, one-time passwords) with another.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-once")) return;
    if (form.dataset.sent) {
      event.preventDefault();
      return;
    }
    form.dataset.sent = "1";
    // Disabled after this event, so the clicked button's name and value are still sent.
    setTimeout(() => form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = true; }));
  });

  document.addEventListener("DOMContentLoaded", () => {
    const page = document.getElementById("annotate");
    if (page) setupAnnotatePage(page);
  });

  // Exposed for the browser tests and for debugging in the console.
  // measureSelection also serves the adjudication page (static/classes.js);
  // runsIn, spansIn, spansAt and marksOf also serve herlens-suggest.js and classes.js;
  // toast also serves static/herlens-failures.js.
  window.herlens = { codePointLength, snapToGrapheme, measureSelection, runsIn, spansIn, spansAt, marksOf, toast };
})();
