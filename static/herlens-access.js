/* herlens: the annotate page for keyboard and screen-reader users.
 *
 * - A visible caret while the essay has the focus (a page that is not editable draws none).
 * - Selections snap to whole words, by mouse and by keyboard, so "lade Runner" becomes
 *   "Blade Runner"; untick "Whole words" or hold Alt to select inside a word.
 * - Highlights tell a screen reader their tag and whose they are: CSS alternative text
 *   before and after each span (data-sr-start, data-sr-end), so the essay's text, the
 *   selection and copying stay exactly the document's.
 *
 * Offsets are code points from each paragraph's data-start, as everywhere in herlens;
 * this file reads the paragraphs' text and never changes it.
 */
(function () {
  "use strict";

  const WORD = /[\p{L}\p{N}\p{M}'’-]/u;
  const SNAP_KEY = "herlens.snapWords";
  const LABELLED = "herlens:spoken-labels-written";

  /** Run a callback in idle time (at the latest after half a second), with its deadline. */
  const whenIdle = (callback) =>
    window.requestIdleCallback
      ? window.requestIdleCallback(callback, { timeout: 500 })
      : setTimeout(() => callback({ timeRemaining: () => 8 }), 1);

  // --- Code points in the essay's paragraphs -------------------------------------------------
  const charCache = new WeakMap();

  function paragraphChars(paragraph) {
    let chars = charCache.get(paragraph);
    if (!chars) {
      chars = Array.from(paragraph.textContent);
      charCache.set(paragraph, chars);
    }
    return chars;
  }

  function paragraphAt(essay, offset) {
    for (const paragraph of essay.querySelectorAll("p[data-start]")) {
      const start = Number(paragraph.dataset.start);
      const end = start + paragraphChars(paragraph).length;
      if (offset >= start && offset <= end) return paragraph;
      if (start > offset) return null;
    }
    return null;
  }

  function charAt(essay, offset) {
    const paragraph = paragraphAt(essay, offset);
    if (!paragraph) return null;
    return paragraphChars(paragraph)[offset - Number(paragraph.dataset.start)] ?? null;
  }

  const isWordAt = (essay, offset) => offset >= 0 && WORD.test(charAt(essay, offset) || "");

  /** Return the code-point offset of a DOM point inside a paragraph of the essay, or null. */
  function offsetOf(node, unit) {
    const element = node.nodeType === Node.TEXT_NODE ? node.parentElement : node;
    const paragraph = element && element.closest("p[data-start]");
    if (!paragraph) return null;
    const range = document.createRange();
    range.setStart(paragraph, 0);
    range.setEnd(node, unit);
    return Number(paragraph.dataset.start) + window.herlens.codePointLength(range.toString());
  }

  /** Return the DOM point [text node, UTF-16 offset] of a code-point offset, or null. */
  function pointAt(essay, offset) {
    const paragraph = paragraphAt(essay, offset);
    if (!paragraph) return null;
    let left = offset - Number(paragraph.dataset.start);
    const walker = document.createTreeWalker(paragraph, NodeFilter.SHOW_TEXT);
    let last = null;
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const length = window.herlens.codePointLength(node.data);
      if (left <= length) {
        let unit = 0;
        for (let i = 0; i < left; i++) unit += node.data.codePointAt(unit) > 0xffff ? 2 : 1;
        return [node, unit];
      }
      left -= length;
      last = node;
    }
    return last ? [last, last.data.length] : null;
  }

  // --- Word snapping -------------------------------------------------------------------------
  function wordStart(essay, offset) {
    while (isWordAt(essay, offset - 1) && isWordAt(essay, offset)) offset--;
    return offset;
  }

  function wordEnd(essay, offset) {
    while (isWordAt(essay, offset - 1) && isWordAt(essay, offset)) offset++;
    return offset;
  }

  function selectionOffsets(essay) {
    const selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
    if (!essay.contains(selection.anchorNode) || !essay.contains(selection.focusNode)) return null;
    const anchor = offsetOf(selection.anchorNode, selection.anchorOffset);
    const focus = offsetOf(selection.focusNode, selection.focusOffset);
    return anchor === null || focus === null ? null : { anchor, focus };
  }

  function select(essay, anchor, focus) {
    const from = pointAt(essay, anchor);
    const to = pointAt(essay, focus);
    if (from && to) window.getSelection().setBaseAndExtent(from[0], from[1], to[0], to[1]);
  }

  /** Grow both ends of the selection to whole words (after a mouse selection). */
  function snapOutwards(essay) {
    const at = selectionOffsets(essay);
    if (!at) return;
    const forwards = at.focus >= at.anchor;
    const low = wordStart(essay, Math.min(at.anchor, at.focus));
    const high = wordEnd(essay, Math.max(at.anchor, at.focus));
    if (forwards) select(essay, low, high);
    else select(essay, high, low);
  }

  /**
   * After Shift+arrow: the moving end goes on to the word's edge in its direction. A step by
   * character (``byCharacter``) that crossed a space or a mark goes on over the next word, so
   * each press grows or shrinks the selection by one word.
   */
  function snapMoving(essay, forwards, byCharacter) {
    const at = selectionOffsets(essay);
    if (!at) return;
    let focus = at.focus;
    if (forwards) {
      focus = wordEnd(essay, focus);
      if (byCharacter && !isWordAt(essay, focus - 1)) {
        while (charAt(essay, focus) !== null && !isWordAt(essay, focus)) focus++;
        focus = wordEnd(essay, focus + 1);
      }
    } else {
      focus = wordStart(essay, focus);
      if (byCharacter && !isWordAt(essay, focus - 1) && focus > at.anchor) {
        while (focus > at.anchor && charAt(essay, focus - 1) !== null && !isWordAt(essay, focus - 1)) focus--;
      }
    }
    const anchor = at.anchor <= focus ? wordStart(essay, at.anchor) : wordEnd(essay, at.anchor);
    if (focus !== at.focus || anchor !== at.anchor) select(essay, anchor, focus);
  }

  function setupSnapping(essay) {
    const toggle = document.getElementById("snap-words");
    // Reading the stored choice opens the page's storage (milliseconds): after the first
    // paint, or at once if the reader selects before then, so no selection misses it.
    let stored = false;
    const readStored = () => {
      if (stored || !toggle) return;
      stored = true;
      toggle.checked = window.localStorage?.getItem(SNAP_KEY) !== "off";
    };
    if (toggle) {
      whenIdle(readStored);
      toggle.addEventListener("change", () => {
        stored = true; // the reader's own choice, stored now, wins over the stored one
        window.localStorage?.setItem(SNAP_KEY, toggle.checked ? "on" : "off");
      });
    }
    const snapping = (event) => {
      readStored();
      return (!toggle || toggle.checked) && !event.altKey;
    };
    essay.addEventListener("mouseup", (event) => {
      if (event.button === 0 && snapping(event)) snapOutwards(essay);
    });
    // After herlens.js has moved the selection (its listener was added first).
    document.addEventListener("keydown", (event) => {
      if (document.activeElement !== essay || !event.shiftKey || !event.key.startsWith("Arrow")) return;
      if (!snapping(event)) return;
      const sideways = event.key === "ArrowRight" || event.key === "ArrowLeft";
      snapMoving(essay, event.key === "ArrowRight" || event.key === "ArrowDown", sideways && !event.ctrlKey);
    });
  }

  // --- The caret -------------------------------------------------------------------------------
  function setupCaret(essay) {
    const caret = document.createElement("div");
    caret.className = "essay-caret";
    caret.setAttribute("aria-hidden", "true");
    caret.hidden = true;
    document.body.append(caret);

    function draw() {
      const selection = window.getSelection();
      if (document.activeElement !== essay || !selection || !selection.rangeCount || !essay.contains(selection.focusNode)) {
        caret.hidden = true;
        return;
      }
      const range = document.createRange();
      range.setStart(selection.focusNode, selection.focusOffset);
      range.collapse(true);
      let rect = range.getClientRects()[0];
      if (!rect && selection.focusNode.nodeType === Node.TEXT_NODE && selection.focusNode.data.length) {
        // At the very end of a text node a collapsed range may have no box: measure the last letter.
        const node = selection.focusNode;
        const letter = document.createRange();
        const at = Math.max(0, Math.min(selection.focusOffset, node.data.length) - 1);
        letter.setStart(node, at);
        letter.setEnd(node, at + 1);
        const box = letter.getBoundingClientRect();
        rect = { left: selection.focusOffset > at ? box.right : box.left, top: box.top, height: box.height };
      }
      if (!rect) {
        caret.hidden = true;
        return;
      }
      caret.style.left = `${rect.left + window.scrollX}px`;
      caret.style.top = `${rect.top + window.scrollY}px`;
      caret.style.height = `${rect.height || 18}px`;
      caret.hidden = false;
      // Restart the blink, so the caret is seen where it just moved.
      caret.classList.remove("moved");
      void caret.offsetWidth;
      caret.classList.add("moved");
    }

    essay.addEventListener("focus", () => {
      const selection = window.getSelection();
      // Keyboard focus (Tab) puts the caret at the start; a click places it itself.
      if (essay.matches(":focus-visible") && !(selection.rangeCount && essay.contains(selection.anchorNode))) {
        const first = pointAt(essay, Number(essay.querySelector("p[data-start]")?.dataset.start || 0));
        if (first) selection.collapse(first[0], first[1]);
      }
      draw();
    });
    essay.addEventListener("blur", () => (caret.hidden = true));
    document.addEventListener("selectionchange", draw);
    window.addEventListener("resize", draw);
    window.addEventListener("scroll", draw, { passive: true });
    return caret;
  }

  // --- What screen readers hear of a highlight -------------------------------------------------
  function setupLabels(essay) {
    const node = document.getElementById("span-labels");
    // Each distinct label once with its spans' ids (annotations/accessibility.py span_labels).
    const labels = new Map();
    for (const [start, end, ids] of node ? JSON.parse(node.textContent) : []) {
      for (const id of ids.split(" ")) labels.set(id, { start, end });
    }

    /** First and last highlight of every span, where each <mark> lists its spans (data-s). */
    function edgesFromMarks() {
      const first = new Map();
      const last = new Map();
      for (const mark of essay.querySelectorAll("mark[data-s]")) {
        for (const id of mark.dataset.s.split(" ")) {
          if (!first.has(id)) first.set(id, mark);
          last.set(id, mark);
        }
      }
      return { first, last };
    }

    // Spans are labelled in reading order, so where several begin or end on one mark they are
    // read outermost first, innermost last (the ends the other way round).
    function write(id, first, last) {
      const words = labels.get(id);
      if (!words) return;
      first.dataset.srStart = (first.dataset.srStart || "") + words.start;
      last.dataset.srEnd = words.end + (last.dataset.srEnd || "");
    }

    function clearLabels(root) {
      for (const mark of root.querySelectorAll("mark[data-sr-start], mark[data-sr-end]")) {
        delete mark.dataset.srStart;
        delete mark.dataset.srEnd;
      }
    }

    function* labelMarks() {
      clearLabels(essay);
      const { first, last } = edgesFromMarks();
      for (const [id, mark] of first) write(id, mark, last.get(id));
    }

    /**
     * Where paragraphs list the spans that begin in them (data-spans: "id offset
     * length" triples from the paragraph's data-start) and highlights are bare <mark> runs:
     * one walk over the runs, a paragraph at a time (yielding after each), and a span is
     * labelled as soon as the walk has passed its end (a binary search for its first and last
     * run), in the order the spans are listed.
     */
    function* labelParagraphs() {
      const runs = [];
      const waiting = [];
      let head = 0;
      let reached = 0;
      const firstAtOrAfter = (offset) => {
        let low = 0;
        let high = runs.length;
        while (low < high) {
          const middle = (low + high) >> 1;
          if (runs[middle].start < offset) low = middle + 1;
          else high = middle;
        }
        return low;
      };
      const flush = (all) => {
        while (head < waiting.length && (all || waiting[head].end <= reached)) {
          const span = waiting[head++];
          const from = firstAtOrAfter(span.start);
          const to = firstAtOrAfter(span.end) - 1;
          if (from < runs.length && from <= to) write(span.id, runs[from].mark, runs[to].mark);
        }
      };
      for (const paragraph of essay.querySelectorAll("p[data-start]")) {
        // Cleared here rather than all at first, so a relabel leaves no paragraph unnamed for
        // longer than a slice: a paragraph's marks are written only once the walk has reached it.
        clearLabels(paragraph);
        const base = Number(paragraph.dataset.start);
        let position = base;
        for (const child of paragraph.childNodes) {
          const length = window.herlens.codePointLength(child.textContent);
          if (child.nodeName === "MARK") runs.push({ mark: child, start: position, end: position + length });
          position += length;
        }
        const numbers = (paragraph.dataset.spans || "").split(" ").filter(Boolean).map(Number);
        for (let i = 0; i + 2 < numbers.length; i += 3) {
          const start = base + numbers[i + 1];
          waiting.push({ id: String(numbers[i]), start, end: start + numbers[i + 2] });
        }
        reached = position;
        flush(false);
        yield;
      }
      flush(true);
    }

    // The spoken labels change nothing on screen, and writing them walks every span and
    // restyles every highlight (on a long essay, more time than drawing it): they are written
    // in idle time, a slice at a time, so the highlights are drawn first and the page answers
    // input meanwhile. Requests made meanwhile are folded into one; a newer one restarts.
    let job = 0;

    function label() {
      const mine = ++job;
      let steps = null;
      const slice = (deadline) => {
        if (mine !== job) return;
        if (!steps) steps = essay.querySelector("p[data-spans]") ? labelParagraphs() : labelMarks();
        // At least a step each time: a slice run by its timeout has no time remaining.
        let done;
        do {
          done = steps.next().done;
        } while (!done && deadline.timeRemaining() > 1);
        if (!done) {
          whenIdle(slice);
          return;
        }
        // For the benchmark and anyone measuring: when the labels were all written.
        performance.clearMarks(LABELLED);
        performance.mark(LABELLED);
      };
      whenIdle(slice);
    }

    document.body.addEventListener("spanLabel", (event) => {
      const { id, start, end } = event.detail || {};
      if (id) labels.set(String(id), { start, end });
      label();
    });
    // Paragraphs re-drawn after an action or a live update.
    document.body.addEventListener("htmx:afterSettle", () => label());
    document.addEventListener("htmx:load", (event) => {
      const poller = event.detail.elt;
      if (!poller || poller.id !== "live") return;
      // A live update names the spans it re-draws: another reader's new span among them.
      for (const [start, end, ids] of poller.dataset.labels ? JSON.parse(poller.dataset.labels) : []) {
        for (const id of ids.split(" ")) labels.set(id, { start, end });
      }
      label();
    });
    label();
    return label;
  }

  document.addEventListener("DOMContentLoaded", () => {
    const essay = document.getElementById("essay");
    if (!essay || !document.getElementById("annotate")) return;
    setupSnapping(essay);
    setupCaret(essay);
    const relabel = setupLabels(essay);
    window.herlensAccess = { snapOutwards: () => snapOutwards(essay), relabel };
  });
})();
