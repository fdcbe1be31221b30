/* herlens: draw suggestions over the essay and review them with the keyboard.
 *
 * Suggestions are drawn with the CSS Custom Highlight API (::highlight), so the
 * essay's HTML is never changed for them: each tag gets one Highlight of dashed
 * underlines in its colour, and the one under review gets "sg-current". Offsets
 * are code points, as everywhere in herlens; herlens.js works out each run's offset
 * from the text, and this file turns a code-point offset into a DOM position inside
 * a run's text node.
 */
(function () {
  "use strict";

  const WORD = /[\p{L}\p{N}\p{M}'’\-]/u;

  function csrfHeaders() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    } catch (_error) {
      return {};
    }
  }

  function setup(review) {
    const essay = document.getElementById("essay");
    const tags = JSON.parse(document.getElementById("suggest-tags").textContent);
    const tagById = new Map(tags.map((tag) => [tag.id, tag]));
    const tagByKey = new Map(tags.filter((tag) => tag.shortcut).map((tag) => [tag.shortcut, tag]));
    const highlights = window.CSS && CSS.highlights ? CSS.highlights : null;
    const urlFor = (template, id) => template.replace(/\/0\/([a-z]+\/)$/, `/${id}/$1`);
    const field = (name) => review.querySelector(`[data-review="${name}"]`);

    let items = [];
    let chars = [];
    // Off at first where several readers' spans are shown (the page says so): less clutter.
    let shown = document.querySelector(".show-suggestions")?.checked ?? true;
    let active = false;
    let index = 0;
    let edit = null; // {id, start, end, tag} for the suggestion under review

    // --- Offsets to DOM ranges -------------------------------------------------------------
    function runList() {
      return window.herlens.runsIn(essay);
    }

    function domPosition(runs, offset, isEnd) {
      let low = 0;
      let high = runs.length - 1;
      while (low < high) {
        const middle = (low + high + 1) >> 1;
        if (runs[middle].start <= offset) low = middle;
        else high = middle - 1;
      }
      let run = runs[low];
      // An end offset that falls on a run's first character belongs to the run before.
      if (isEnd && low > 0 && run.start === offset) run = runs[low - 1];
      const node = run.node;
      const text = node.data;
      let points = offset - run.start;
      let unit = 0;
      while (points > 0 && unit < text.length) {
        const code = text.charCodeAt(unit);
        unit += code >= 0xd800 && code <= 0xdbff ? 2 : 1;
        points--;
      }
      return [node, Math.min(unit, text.length)];
    }

    function rangeFor(runs, start, end) {
      const range = document.createRange();
      const [startNode, startOffset] = domPosition(runs, start, false);
      const [endNode, endOffset] = domPosition(runs, end, true);
      range.setStart(startNode, startOffset);
      range.setEnd(endNode, endOffset);
      return range;
    }

    function draw() {
      if (!highlights) return;
      for (const tag of tags) highlights.delete(`sg-${tag.id}`);
      highlights.delete("sg-current");
      // Nothing to draw: leave the essay's runs alone (a long essay would be measured for nothing).
      if (!(shown && items.length) && !(active && edit)) return;
      const runs = runList();
      if (!runs.length) return;
      if (shown) {
        const groups = new Map();
        for (const item of items) {
          if (!groups.has(item.tag)) groups.set(item.tag, []);
          groups.get(item.tag).push(rangeFor(runs, item.start, item.end));
        }
        for (const [tag, ranges] of groups) highlights.set(`sg-${tag}`, new Highlight(...ranges));
      }
      if (active && edit) highlights.set("sg-current", new Highlight(rangeFor(runs, edit.start, edit.end)));
    }

    // --- The list ----------------------------------------------------------------------------
    async function load() {
      // The text does not change under the page: fetch it once, then only the suggestions.
      const url = chars.length ? `${review.dataset.listUrl}?text=0` : review.dataset.listUrl;
      let response;
      try {
        response = await fetch(url, { headers: { Accept: "application/json" } });
      } catch (_error) {
        // No connection (the live status says so): ask again once it is back.
        window.addEventListener("online", () => load(), { once: true });
        return;
      }
      if (!response.ok) return;
      const data = await response.json();
      if (data.text !== undefined) chars = Array.from(data.text);
      const currentId = edit && edit.id;
      items = data.suggestions.sort((a, b) => a.start - b.start || b.end - a.end || a.tag - b.tag);
      if (active) {
        const same = items.findIndex((item) => item.id === currentId);
        select(same === -1 ? index : same, same === -1);
      }
      draw();
    }

    // --- Review mode -------------------------------------------------------------------------
    function select(position, fresh = true) {
      if (!items.length) {
        stop("No suggestions left to review.");
        return;
      }
      index = Math.max(0, Math.min(items.length - 1, position));
      const item = items[index];
      if (fresh || !edit || edit.id !== item.id) edit = { id: item.id, start: item.start, end: item.end, tag: item.tag };
      render();
      draw();
      const runs = runList();
      if (runs.length) {
        const rect = rangeFor(runs, edit.start, edit.end).getBoundingClientRect();
        if (rect.top < 80 || rect.bottom > window.innerHeight - 40) {
          window.scrollBy({ top: rect.top - window.innerHeight / 3, behavior: "smooth" });
        }
      }
    }

    function render() {
      const item = items[index];
      const tag = tagById.get(edit.tag);
      field("position").textContent = `${index + 1} / ${items.length}`;
      field("tag").textContent = tag ? tag.name : "";
      field("swatch").style.setProperty("--tag", tag ? tag.colour : "#888888");
      field("score").textContent = item.score.toFixed(2);
      field("reason").textContent = item.reason;
      field("quote").textContent = chars.slice(edit.start, edit.end).join("");
      const changed = edit.start !== item.start || edit.end !== item.end || edit.tag !== item.tag;
      field("edited").textContent = changed ? "(changed)" : "";
    }

    function start() {
      if (!items.length) return;
      active = true;
      review.hidden = false;
      select(index, true);
    }

    function stop(message) {
      active = false;
      edit = null;
      review.hidden = true;
      draw();
      if (message) {
        const toast = document.getElementById("toast");
        if (toast) {
          toast.textContent = message;
          toast.hidden = false;
          setTimeout(() => (toast.hidden = true), 4000);
        }
      }
    }

    const isWord = (position) => WORD.test(chars[position] || "");

    function moveBound(kind) {
      let { start: low, end: high } = edit;
      if (kind === "grow-end") {
        while (high < chars.length && !isWord(high) && chars[high] !== "\n") high++;
        while (high < chars.length && isWord(high)) high++;
      } else if (kind === "shrink-end") {
        let at = high;
        while (at > low && !isWord(at - 1)) at--;
        while (at > low && isWord(at - 1)) at--;
        while (at > low && !isWord(at - 1)) at--;
        if (at > low) high = at;
      } else if (kind === "grow-start") {
        while (low > 0 && !isWord(low - 1) && chars[low - 1] !== "\n") low--;
        while (low > 0 && isWord(low - 1)) low--;
      } else if (kind === "shrink-start") {
        let at = low;
        while (at < high && isWord(at)) at++;
        while (at < high && !isWord(at)) at++;
        if (at < high) low = at;
      }
      edit.start = low;
      edit.end = high;
      render();
      draw();
    }

    function decide(accept) {
      const item = items[index];
      if (!item) return;
      const template = accept ? review.dataset.acceptUrl : review.dataset.rejectUrl;
      const values = accept ? { start: edit.start, end: edit.end, tag: tagById.get(edit.tag).slug } : {};
      htmx.ajax("POST", urlFor(template, item.id), {
        target: accept ? "#span-panel" : "#suggest-panel",
        swap: "outerHTML",
        values,
        headers: csrfHeaders(),
      });
      // Move on at once; the suggestionsChanged event reloads the list behind us.
      items.splice(index, 1);
      edit = null;
      if (items.length) select(index, true);
      else stop("All suggestions reviewed.");
    }

    function run(action) {
      if (action === "accept") decide(true);
      else if (action === "reject") decide(false);
      else if (action === "next") select(index + 1);
      else if (action === "prev") select(index - 1);
      else if (action === "exit") stop();
      else moveBound(action);
    }

    const KEYS = {
      Enter: "accept", a: "accept", x: "reject", Delete: "reject", Backspace: "reject",
      j: "next", ArrowDown: "next", k: "prev", ArrowUp: "prev", Escape: "exit",
      l: "grow-end", h: "shrink-end", H: "grow-start", L: "shrink-start",
    };

    // Capture phase: while reviewing, these keys belong to the review, not to span editing.
    document.addEventListener(
      "keydown",
      (event) => {
        const target = event.target;
        if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
        if (event.ctrlKey || event.metaKey || event.altKey) return;
        if (!active) {
          const selection = window.getSelection();
          if (event.key === "r" && !tagByKey.has("r") && items.length && (!selection || selection.isCollapsed)) {
            start();
            event.preventDefault();
            event.stopImmediatePropagation();
          }
          return;
        }
        const lower = event.key.length === 1 ? event.key.toLowerCase() : event.key;
        if (tagByKey.has(lower) && event.key === lower) {
          edit.tag = tagByKey.get(lower).id;
          render();
          draw();
        } else if (KEYS[event.key]) {
          run(KEYS[event.key]);
        } else {
          return;
        }
        event.preventDefault();
        event.stopImmediatePropagation();
      },
      true,
    );

    review.addEventListener("click", (event) => {
      const button = event.target.closest("[data-do]");
      if (button) run(button.dataset.do);
    });
    document.addEventListener("click", (event) => {
      if (event.target.closest(".review-start")) start();
    });
    document.addEventListener("change", (event) => {
      if (!event.target.matches(".show-suggestions")) return;
      shown = event.target.checked;
      draw();
    });
    // The panel re-renders after every decision; keep its list open if the reader opened it.
    let listOpen = false;
    document.addEventListener(
      "toggle",
      (event) => {
        if (event.target.matches && event.target.matches("details.suggest-list")) listOpen = event.target.open;
      },
      true, // toggle does not bubble
    );
    document.body.addEventListener("suggestionsChanged", load);
    // The panel reloads itself on suggestionsStale: every change except an answer that was
    // the panel already ({"panel": true}: bulk, undo).
    document.body.addEventListener("suggestionsChanged", (event) => {
      if (!(event.detail && event.detail.panel)) htmx.trigger(document.body, "suggestionsStale");
    });
    document.body.addEventListener("htmx:afterSettle", (event) => {
      const panel = document.querySelector(".show-suggestions");
      if (panel) panel.checked = shown;
      const list = document.querySelector("details.suggest-list");
      if (list && listOpen) list.open = true;
      // Paragraphs were re-rendered (a span was made): the old ranges point at removed nodes.
      draw();
    });
    // A document without suggestions asks for none until the suggestionsChanged event says so.
    // Asked for in idle time: drawing them walks the whole essay, which is drawn first.
    if (document.getElementById("suggestion-total")?.textContent.trim() !== "0") {
      if (window.requestIdleCallback) window.requestIdleCallback(() => load(), { timeout: 500 });
      else setTimeout(load, 0);
    }
    window.herlensSuggest = { load, start, stop, state: () => ({ items, index, edit, active, shown }) };
  }

  document.addEventListener("DOMContentLoaded", () => {
    const review = document.getElementById("review-panel");
    if (review) setup(review);
  });
})();
