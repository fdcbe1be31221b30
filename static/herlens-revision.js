// The annotate page and revisions: open at "#at-<offset>" (the paragraph holding that
// code-point offset), and fill the "reload at the same place" link of the new-revision
// notice with the paragraph the reader is looking at.
(function () {
  "use strict";

  function paragraphAt(offset) {
    let found = null;
    for (const p of document.querySelectorAll("#essay p[data-start]")) {
      if (Number(p.dataset.start) <= offset) found = p;
      else break;
    }
    return found;
  }

  function scrollToHash() {
    const match = /^#at-(\d+)$/.exec(window.location.hash);
    if (!match) return;
    const paragraph = paragraphAt(Number(match[1]));
    if (paragraph) paragraph.scrollIntoView({ block: "start" });
  }

  function firstVisibleParagraph() {
    for (const p of document.querySelectorAll("#essay p[data-start]")) {
      if (p.getBoundingClientRect().bottom > 0) return p;
    }
    return null;
  }

  document.addEventListener("click", function (event) {
    const link = event.target.closest("a[data-keep-place]");
    if (!link) return;
    const paragraph = firstVisibleParagraph();
    if (!paragraph) return;
    const url = new URL(link.href, window.location.href);
    url.searchParams.set("at", paragraph.dataset.start);
    link.href = url.toString();
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", scrollToHash);
  else scrollToHash();
})();
