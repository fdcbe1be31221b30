// The export form: the revision field applies to one document only, so it is offered
// (enabled, with that document's range) when exactly one document is chosen.
(function () {
  "use strict";

  function update() {
    const documents = document.getElementById("export-documents");
    const field = document.getElementById("export-revision");
    const hint = document.getElementById("export-revision-hint");
    if (!documents || !field || !hint) return;
    const chosen = Array.from(documents.selectedOptions);
    if (chosen.length === 1) {
      const last = Number(chosen[0].dataset.revision || "1");
      field.disabled = false;
      field.max = String(last);
      hint.textContent = last > 1
        ? "“" + chosen[0].dataset.title + "” has revisions 1 to " + last +
          ". Empty: the current one (" + last + ")."
        : "“" + chosen[0].dataset.title + "” has only revision 1.";
    } else {
      field.disabled = true;
      field.value = "";
      hint.textContent = "Choose exactly one document to export one of its older revisions.";
    }
  }

  document.addEventListener("change", function (event) {
    if (event.target && event.target.id === "export-documents") update();
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", update);
  else update();
})();
