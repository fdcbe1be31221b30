/* herlens: failures and results said in place, for every page (loaded after herlens.js).
 *
 * - A failed htmx action shows its message beside the form that failed, and what the user
 *   typed stays: herlens answers with plain text (annotations/views/errors.py); nothing
 *   else is ever swapped in, not Django's debug page, not a proxy's error page.
 * - A pasted text over the limit is refused before it is sent.
 * - The live poller says why updates paused.
 * - Screen readers hear what an action did (the page's #announcer live region).
 */
(function () {
  "use strict";

  const toast = (message, step) => window.herlens.toast(message, step);

  /* --- Screen readers: what an action did, read out from the page's live region. --- */
  function announce(text) {
    const region = document.getElementById("announcer");
    if (!region || !text) return;
    // Emptied first, so the same words twice in a row are read twice.
    region.textContent = "";
    setTimeout(() => (region.textContent = text), 50);
  }
  document.addEventListener("announce", (event) => announce(event.detail && event.detail.text));

  /* --- Failed htmx actions: a message in place, and what the user typed stays. -------------
   *
   * herlens answers a refused or failed htmx request with plain text (views/errors.py), and
   * an invalid form with its fragment (400, swapped to show the field errors). Anything else
   * (Django's debug page under DEBUG, a proxy's error page) is never swapped: it would
   * replace the page and everything typed on it.
   */
  const FAILURE_OFFLINE = "Could not reach herlens; nothing was saved. Check the connection and try again.";

  function isPlainText(xhr) {
    return Boolean(xhr && xhr.getResponseHeader("Content-Type")?.startsWith("text/plain"));
  }

  function isFormFragment(xhr) {
    if (!xhr || (xhr.status !== 400 && xhr.status !== 422)) return false;
    if (!xhr.getResponseHeader("Content-Type")?.startsWith("text/html")) return false;
    return !/^\s*(<!doctype|<html)/i.test(xhr.responseText || "");
  }

  function failureMessage(xhr) {
    if (!xhr || !xhr.status) return FAILURE_OFFLINE;
    if (isPlainText(xhr) && xhr.responseText) return xhr.responseText;
    if (xhr.status === 413 || xhr.status === 400) {
      return "The server refused this request (too large, or not understood); nothing was saved. What you typed is still here.";
    }
    if (xhr.status === 404) return "This is no longer here (removed in the meantime?). Reload the page.";
    if (xhr.status === 403) return "You may not do that here (logged out, or your role changed?). Reload the page.";
    return `The server answered ${xhr.status}; nothing was saved. What you typed is still here; try again.`;
  }

  /** A link for the step a failure offers. */
  function linkTo(href, text) {
    const a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    return a;
  }

  /** The next step a failure offers: reload the page, or go to the projects when it is gone. */
  function nextStep(xhr) {
    const next = xhr && xhr.getResponseHeader ? xhr.getResponseHeader("X-Herlens-Next") : null;
    if (next === "home") return linkTo("/", "Go to your projects");
    if (next === "login") {
      // A new tab: this one keeps what the user typed.
      const login = linkTo("/accounts/login/", "Log in (new tab)");
      login.target = "_blank";
      login.rel = "noopener";
      return login;
    }
    if (next === "reload") {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = "Reload the page";
      button.addEventListener("click", () => window.location.reload());
      return button;
    }
    return null;
  }

  /**
   * Show a failure beside the form that failed, its typed values untouched, and bring it into
   * view; an action without a form (keys in the essay) gets the toast. One alert, not two.
   */
  function showFailure(source, message, step) {
    const form = source && source.closest ? source.closest("form") : null;
    if (!form) {
      toast(message, step);
      return;
    }
    let box = form.querySelector(":scope > .failure");
    if (!box) {
      box = document.createElement("p");
      box.className = "failure error";
      box.setAttribute("role", "alert");
      form.append(box);
    }
    box.replaceChildren(document.createTextNode(message + " "));
    if (step) box.append(step);
    box.scrollIntoView({ block: "nearest" });
  }

  function clearFailure(source) {
    const form = source && source.closest ? source.closest("form") : null;
    form?.querySelector(":scope > .failure")?.remove();
  }

  // Capture on window: before django-htmx's debug helper, which replaces the page with any
  // 400, 403, 404 or 500 answer. htmx itself goes on and raises htmx:responseError.
  window.addEventListener(
    "htmx:beforeOnLoad",
    (event) => {
      const xhr = event.detail.xhr;
      if (xhr && xhr.status >= 400) event.stopPropagation();
    },
    true,
  );
  document.addEventListener("htmx:beforeSwap", (event) => {
    if (isFormFragment(event.detail.xhr)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  /** The live poller (class mode) says why updates paused instead of raising a toast each time. */
  function liveStatus(message) {
    const live = document.getElementById("live");
    let status = document.getElementById("live-status");
    if (!status && message && live) {
      status = document.createElement("p");
      status.id = "live-status";
      status.className = "notice small";
      status.setAttribute("role", "status");
      live.before(status);
    }
    if (!status) return;
    status.textContent = message || "";
    status.hidden = !message;
  }

  const isLivePoll = (elt) => Boolean(elt && elt.id === "live");

  document.addEventListener("htmx:responseError", (event) => {
    const xhr = event.detail.xhr;
    if (isLivePoll(event.detail.elt)) {
      liveStatus(`Live updates paused: the server answered ${xhr.status}. Still trying; reload the page if this stays.`);
      return;
    }
    showFailure(event.detail.elt, failureMessage(xhr), nextStep(xhr));
  });
  document.addEventListener("htmx:sendError", (event) => {
    if (isLivePoll(event.detail.elt)) {
      liveStatus("Live updates paused: herlens cannot be reached. Still trying every few seconds.");
      return;
    }
    showFailure(event.detail.elt, FAILURE_OFFLINE, null);
  });
  document.addEventListener("htmx:afterRequest", (event) => {
    if (!event.detail.successful) return;
    if (isLivePoll(event.detail.elt)) liveStatus("");
    else clearFailure(event.detail.elt);
  });

  /* --- Pasted text over the limit: refused before it is sent, the text left in place. --- */
  function formatBytes(size) {
    return size >= 1024 * 1024 ? `${(size / (1024 * 1024)).toFixed(1).replace(/\.0$/, "")} MB` : `${Math.ceil(size / 1024)} KB`;
  }

  function oversizedField(form) {
    for (const field of form.querySelectorAll("textarea[data-max-bytes]")) {
      const size = new TextEncoder().encode(field.value).length;
      if (size > Number(field.dataset.maxBytes)) return { field, size, limit: Number(field.dataset.maxBytes) };
    }
    return null;
  }

  // Capture: before htmx (or the browser) sends the form.
  document.addEventListener(
    "submit",
    (event) => {
      const form = event.target;
      const over = form instanceof HTMLFormElement ? oversizedField(form) : null;
      if (!over) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      showFailure(
        over.field,
        `This text is ${formatBytes(over.size)}; pasting takes up to ${formatBytes(over.limit)}. Nothing was sent.`,
        linkTo("#import", "Import it as a file instead"),
      );
      over.field.setAttribute("aria-invalid", "true");
    },
    true,
  );
})();
