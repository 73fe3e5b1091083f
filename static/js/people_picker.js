// The people picker (templates/inc/people_picker.html) as a WAI-ARIA combobox:
// typing asks the search endpoint (debounced) for the people of the picker's
// source; ArrowDown/ArrowUp move through the matches, Enter or a click chooses,
// Escape closes the list. The chosen people are chips, each with a hidden input
// holding the person's id, so the form posts plain ids as without JavaScript.
// Every visible string comes from the page (data-text-*), in the page's language.
(function () {
  "use strict";

  var DEBOUNCE_MS = 250;
  var counter = 0;

  function format(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : match;
    });
  }

  function setup(root) {
    var input = root.querySelector(".people-picker-input");
    var listbox = root.querySelector(".people-picker-listbox");
    var chosenList = root.querySelector(".people-picker-chosen");
    var status = root.querySelector("[role=status]");
    var name = root.getAttribute("data-name");
    var multiple = root.getAttribute("data-multiple") === "true";
    var url = root.getAttribute("data-search-url");
    var source = root.getAttribute("data-source");
    var text = function (key) { return root.getAttribute("data-text-" + key) || ""; };
    var timer = null;
    var request = 0;
    var active = -1;
    var prefix = (input.id || "people-picker-" + (++counter)) + "-option-";

    // The search step without JavaScript is not needed: its button, its list and
    // its copies of the chosen ids leave; the text box no longer posts a search.
    root.querySelectorAll("[data-people-picker-nojs]").forEach(function (element) {
      element.remove();
    });
    input.removeAttribute("form");
    input.removeAttribute("name");
    input.value = "";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listbox.id);

    function chosenIds() {
      return Array.prototype.map.call(
        chosenList.querySelectorAll("input[type=hidden]"),
        function (hidden) { return hidden.value; }
      );
    }

    function announce(message) {
      status.textContent = message;
    }

    function chip(id, displayName, username) {
      var item = document.createElement("li");
      item.className = "chip";
      item.setAttribute("data-id", id);
      var label = document.createElement("span");
      label.className = "chip-label";
      label.textContent = displayName;
      if (username) {
        label.title = username;
      }
      var hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = name;
      hidden.value = id;
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "chip-remove";
      remove.setAttribute("aria-label", format(text("remove"), { name: displayName }));
      remove.textContent = "\u00d7";
      remove.addEventListener("click", function () {
        item.remove();
        announce(format(text("removed"), { name: displayName }));
        input.focus();
      });
      item.appendChild(label);
      item.appendChild(hidden);
      item.appendChild(remove);
      return item;
    }

    // The people the page rendered as ticked boxes become chips.
    chosenList.querySelectorAll("li").forEach(function (item) {
      var box = item.querySelector("input");
      var username = item.querySelector(".muted");
      if (box && box.checked) {
        chosenList.replaceChild(
          chip(box.value, item.getAttribute("data-name"), username ? username.textContent : ""),
          item
        );
      } else {
        item.remove();
      }
    });

    function options() {
      return Array.prototype.slice.call(listbox.querySelectorAll("[role=option]"));
    }

    function open() {
      listbox.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function close() {
      listbox.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var all = options();
      if (!all.length) {
        return;
      }
      active = (index + all.length) % all.length;
      all.forEach(function (option, position) {
        option.setAttribute("aria-selected", position === active ? "true" : "false");
      });
      input.setAttribute("aria-activedescendant", all[active].id);
      all[active].scrollIntoView({ block: "nearest" });
    }

    function choose(option) {
      var id = option.getAttribute("data-id");
      var displayName = option.getAttribute("data-name");
      if (!multiple) {
        chosenList.innerHTML = "";
      }
      if (chosenIds().indexOf(id) === -1) {
        chosenList.appendChild(chip(id, displayName, option.getAttribute("data-username")));
      }
      announce(format(text("added"), { name: displayName }));
      input.value = "";
      listbox.innerHTML = "";
      close();
      input.focus();
    }

    function show(results) {
      var taken = chosenIds();
      listbox.innerHTML = "";
      results
        .filter(function (person) { return taken.indexOf(String(person.id)) === -1; })
        .forEach(function (person, position) {
          var option = document.createElement("li");
          option.id = prefix + position;
          option.setAttribute("role", "option");
          option.setAttribute("aria-selected", "false");
          option.setAttribute("data-id", String(person.id));
          option.setAttribute("data-name", person.name);
          option.setAttribute("data-username", person.username);
          var main = document.createElement("span");
          main.textContent = person.name;
          var sub = document.createElement("span");
          sub.className = "muted";
          sub.textContent = person.username;
          option.appendChild(main);
          option.appendChild(document.createTextNode(" "));
          option.appendChild(sub);
          listbox.appendChild(option);
        });
      var count = options().length;
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (count) {
        open();
        announce(count === 1 ? text("one") : format(text("many"), { count: String(count) }));
      } else {
        close();
        announce(text("none"));
      }
    }

    function search() {
      var query = input.value.trim();
      var mine = ++request;
      if (!query) {
        listbox.innerHTML = "";
        close();
        return;
      }
      var address = url + "?source=" + encodeURIComponent(source) + "&q=" + encodeURIComponent(query);
      fetch(address, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(String(response.status));
          }
          return response.json();
        })
        .then(function (data) {
          if (mine === request) {
            show(data.results || []);
          }
        })
        .catch(function () {
          if (mine === request) {
            close();
            announce(text("error"));
          }
        });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(search, DEBOUNCE_MS);
    });

    input.addEventListener("keydown", function (event) {
      var expanded = !listbox.hidden;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (!expanded && options().length) {
          open();
        }
        highlight(active === -1 && event.key === "ArrowUp" ? -1 : active + (event.key === "ArrowDown" ? 1 : -1));
      } else if (event.key === "Enter") {
        // Enter chooses; it never sends the form from the search box.
        event.preventDefault();
        if (expanded && active >= 0) {
          choose(options()[active]);
        }
      } else if (event.key === "Escape") {
        if (expanded) {
          event.preventDefault();
          close();
        } else if (input.value) {
          event.preventDefault();
          input.value = "";
        }
      }
    });

    input.addEventListener("blur", function () {
      // A click on an option lands first (its mousedown keeps the focus here).
      window.setTimeout(close, 150);
    });

    input.addEventListener("focus", function () {
      if (options().length && input.value.trim()) {
        open();
      }
    });

    listbox.addEventListener("mousedown", function (event) {
      event.preventDefault();
    });

    listbox.addEventListener("click", function (event) {
      var option = event.target.closest("[role=option]");
      if (option) {
        choose(option);
      }
    });
  }

  function start() {
    document.querySelectorAll("[data-people-picker]").forEach(setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
