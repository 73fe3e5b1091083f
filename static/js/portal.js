// Small enhancements on top of pages that already work without JavaScript:
// actions that need selected rows stay disabled until rows are selected, a
// "select all" box, and copy and print buttons. Strings come from the page.
(function () {
  "use strict";

  function rowBoxes() {
    return Array.prototype.slice.call(document.querySelectorAll("input[data-row-select]"));
  }

  function updateSelection() {
    var boxes = rowBoxes();
    var selected = boxes.filter(function (box) { return box.checked; }).length;
    document.querySelectorAll("[data-needs-selection]").forEach(function (button) {
      button.disabled = selected === 0;
    });
    var all = document.querySelector("input[data-select-all]");
    if (all) {
      all.checked = selected > 0 && selected === boxes.length;
      all.indeterminate = selected > 0 && selected < boxes.length;
    }
  }

  function reveal() {
    document.querySelectorAll("[data-js-only]").forEach(function (element) {
      element.hidden = false;
    });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("input[data-select-all]")) {
      rowBoxes().forEach(function (box) { box.checked = target.checked; });
    }
    if (target.matches("input[data-select-all], input[data-row-select]")) {
      updateSelection();
    }
  });

  document.addEventListener("click", function (event) {
    var copy = event.target.closest("[data-copy]");
    if (copy) {
      var source = document.querySelector(copy.getAttribute("data-copy"));
      if (source && navigator.clipboard) {
        navigator.clipboard.writeText(source.textContent.trim()).then(function () {
          copy.textContent = copy.getAttribute("data-copied") || copy.textContent;
        });
      }
    }
    if (event.target.closest("[data-print]")) {
      window.print();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    reveal();
    updateSelection();
  });
  // The users list's results are replaced by live search: the new rows start unselected.
  document.addEventListener("htmx:afterSettle", function () {
    reveal();
    updateSelection();
  });
})();
