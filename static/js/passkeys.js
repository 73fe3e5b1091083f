// Passkeys: the browser's half of the WebAuthn ceremonies (security_info/passkeys.py
// is the server's). A form marked data-passkey="register" or "use" is shown only
// when the browser can do passkeys. Its button asks the form's data-options URL
// for the options, lets the browser create or use a passkey, puts the answer (as
// JSON) in the form's "credential" field and submits the form, which the server
// checks like any other form.
(function () {
  "use strict";
  var PKC = window.PublicKeyCredential;
  var supported = Boolean(
    PKC && PKC.parseCreationOptionsFromJSON && PKC.parseRequestOptionsFromJSON && window.fetch
  );

  function say(form, text) {
    var status = form.querySelector("[data-passkey-status]");
    status.textContent = text;
    status.hidden = !text;
  }

  function start(form, button) {
    var token = form.elements.csrfmiddlewaretoken.value;
    var body = new FormData();
    body.append("csrfmiddlewaretoken", token);
    if (form.dataset.purpose) body.append("purpose", form.dataset.purpose);
    button.disabled = true;
    say(form, "");
    fetch(form.dataset.options, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": token, Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) throw new Error("options " + response.status);
        return response.json();
      })
      .then(function (options) {
        if (form.dataset.passkey === "register") {
          return navigator.credentials.create({
            publicKey: PKC.parseCreationOptionsFromJSON(options),
          });
        }
        return navigator.credentials.get({ publicKey: PKC.parseRequestOptionsFromJSON(options) });
      })
      .then(function (credential) {
        form.elements.credential.value = JSON.stringify(credential.toJSON());
        form.submit();
      })
      .catch(function (error) {
        button.disabled = false;
        say(form, error && error.name === "NotAllowedError" ? form.dataset.cancelled : form.dataset.failed);
      });
  }

  document.querySelectorAll("form[data-passkey]").forEach(function (form) {
    var fallback = document.querySelector("[data-passkey-unsupported]");
    if (!supported) {
      if (fallback) fallback.hidden = false;
      return;
    }
    form.hidden = false;
    var button = form.querySelector("[data-passkey-start]");
    // A click, or Enter in a field: either way the passkey comes first, then the form goes.
    form.addEventListener("submit", function (event) {
      if (form.elements.credential.value) return;
      event.preventDefault();
      if (!button.disabled && form.reportValidity()) start(form, button);
    });
    button.addEventListener("click", function (event) {
      event.preventDefault();
      if (!button.disabled && form.reportValidity()) start(form, button);
    });
  });
})();
