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

  // The left nav on narrow screens: the menu button opens and closes it, Escape
  // and a click outside close it and give focus back to the button.
  function navToggle() {
    return document.querySelector("[data-nav-toggle]");
  }

  function setNavOpen(open, focusButton) {
    var button = navToggle();
    var nav = button && document.getElementById(button.getAttribute("aria-controls"));
    if (!nav) {
      return;
    }
    nav.classList.toggle("open", open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      var first = nav.querySelector("a, summary");
      if (first) {
        first.focus();
      }
    } else if (focusButton) {
      button.focus();
    }
  }

  document.addEventListener("click", function (event) {
    var button = navToggle();
    if (!button) {
      return;
    }
    if (event.target.closest("[data-nav-toggle]")) {
      setNavOpen(button.getAttribute("aria-expanded") !== "true", false);
    } else if (button.getAttribute("aria-expanded") === "true" && !event.target.closest("#" + button.getAttribute("aria-controls"))) {
      setNavOpen(false, false);
    }
  });

  document.addEventListener("keydown", function (event) {
    var button = navToggle();
    if (event.key === "Escape" && button && button.getAttribute("aria-expanded") === "true") {
      setNavOpen(false, true);
    }
  });

  // Toasts: a success message leaves by itself after a while, but not while the
  // pointer or the keyboard focus is on it; its button dismisses it at once.
  var TOAST_SECONDS = 10;

  function dismiss(toast) {
    if (toast.parentNode) {
      toast.parentNode.removeChild(toast);
    }
  }

  function startToast(toast) {
    var timer = null;
    function arm() {
      timer = window.setTimeout(function () { dismiss(toast); }, TOAST_SECONDS * 1000);
    }
    function hold() {
      window.clearTimeout(timer);
    }
    toast.addEventListener("mouseenter", hold);
    toast.addEventListener("focusin", hold);
    toast.addEventListener("mouseleave", arm);
    toast.addEventListener("focusout", arm);
    arm();
  }

  document.addEventListener("click", function (event) {
    var close = event.target.closest("[data-dismiss]");
    if (close) {
      dismiss(close.closest("[data-toast]"));
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    reveal();
    updateSelection();
    document.querySelectorAll("[data-toast]").forEach(startToast);
    // A form sent back with errors: start at the summary that lists them.
    var summary = document.querySelector(".error-summary");
    if (summary) {
      summary.focus();
    }
  });
  // The users list's results are replaced by live search: the new rows start unselected.
  document.addEventListener("htmx:afterSettle", function () {
    reveal();
    updateSelection();
  });
})();
