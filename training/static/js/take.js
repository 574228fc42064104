// Autosave: every answer is posted as it is given, with a per-attempt sequence number so
// the server can refuse a stale save that arrives late. Without JavaScript the form's
// own buttons save the same answers.
(function () {
  "use strict";

  // The countdown only shows what the server decided: the deadline is enforced there, and
  // when it passes the page reloads so the server can submit the attempt.
  var countdown = document.getElementById("countdown");
  if (countdown) {
    var deadline = Date.parse(countdown.dataset.deadline);
    var skew = Date.parse(countdown.dataset.now) - Date.now();  // server clock minus this clock
    var shown = countdown.querySelector(".countdown-value");
    var timer = null;
    var tick = function () {
      var left = Math.max(0, Math.round((deadline - (Date.now() + skew)) / 1000));
      shown.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
      countdown.classList.toggle("alert-warning", left <= 60);
      if (left === 0 && timer !== null) {
        clearInterval(timer);
        timer = null;
        setTimeout(function () { window.location.reload(); }, 1500);
      }
    };
    timer = setInterval(tick, 1000);
    tick();
  }

  var form = document.getElementById("stage-form");
  if (!form || !window.fetch) { return; }
  var url = form.dataset.autosaveUrl;
  var stage = parseInt(form.dataset.stage, 10);
  var seq = parseInt(form.dataset.seq, 10) || 0;
  var token = document.querySelector('meta[name="csrf-token"]').content;
  var timers = {};

  function status(fieldset, text, isError) {
    var el = fieldset.querySelector(".save-status");
    el.textContent = text;
    el.classList.toggle("error", !!isError);
  }

  // The answer's own inputs: not the certainty radios (certainty marking), which travel beside it.
  function values(fieldset) {
    var out = [];
    fieldset.querySelectorAll("input, select").forEach(function (input) {
      if (input.closest("[data-certainty]")) { return; }
      if ((input.type === "radio" || input.type === "checkbox") && !input.checked) { return; }
      if (input.value !== "") { out.push(input.value); }
    });
    return out;
  }

  function certainty(fieldset) {
    var picked = fieldset.querySelector("[data-certainty] input:checked");
    return picked ? picked.value : "";
  }

  // What a save carries, to tell whether anything changed since the last one was sent.
  function snapshot(fieldset) {
    return JSON.stringify([values(fieldset), certainty(fieldset)]);
  }

  var latest = {};  // item key -> seq of the newest save sent for it
  var failures = {};  // item key -> saves of it that failed in a row (for the backoff)
  var retries = {};  // item key -> timer of its pending retry
  var sent = {};  // item key -> the values of its newest save, while that save has not failed

  // A busy server (503, with Retry-After in seconds) or a lost connection is temporary: the
  // answer stays in the page and is sent again, each wait longer than the last (capped), so
  // a busy server is not flooded. A retry is a new save: it reads the inputs as they are then
  // and takes the next sequence number, so it can never overwrite a newer answer.
  var MAX_WAIT = 60;
  function retryLater(fieldset, item, retryAfter, why) {
    failures[item] = (failures[item] || 0) + 1;
    var backoff = Math.min(MAX_WAIT, 2 * Math.pow(2, failures[item] - 1));
    var wait = Math.min(MAX_WAIT, Math.max(retryAfter || 0, backoff));
    status(fieldset, "Not saved yet: " + why + " Your answer stays here; trying again in " + wait + " s.", true);
    clearTimeout(retries[item]);
    retries[item] = setTimeout(function () { save(fieldset); }, wait * 1000);
  }

  function save(fieldset) {
    var item = fieldset.dataset.item;
    clearTimeout(retries[item]);  // this save carries the newest answer: no older retry is needed
    seq += 1;
    latest[item] = seq;
    var body = { stage: stage, item: item, values: values(fieldset), seq: seq, certainty: certainty(fieldset) };
    sent[item] = snapshot(fieldset);
    status(fieldset, "Saving…");
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": token },
      body: JSON.stringify(body)
    }).then(function (response) {
      if (latest[item] !== body.seq) { return null; }  // a newer save of this item will report
      if (!response.ok || response.redirected) { delete sent[item]; }  // the next change sends it again
      if (response.status === 503 || response.status === 502 || response.status === 504) {
        var after = parseInt(response.headers.get("Retry-After"), 10);
        retryLater(fieldset, item, isNaN(after) ? 0 : after, "the academy's server is busy.");
        return null;
      }
      var type = response.headers.get("Content-Type") || "";
      if (response.redirected || type.indexOf("application/json") === -1) {
        status(fieldset, "Not saved: you seem to be signed out. Sign in again in another tab, then press Save answers.", true);
        return null;
      }
      return response.json().then(function (data) {
        if (response.ok) {
          failures[item] = 0;
          status(fieldset, "Saved");
        } else if (data.closed) {
          status(fieldset, data.error, true);
          setTimeout(function () { window.location.reload(); }, 1500);
        } else {
          // 400: the answer itself is wrong (e.g. not a number): the message says what to fix.
          var retry = response.status === 400 ? "" : " Press Save answers to try again.";
          status(fieldset, "Not saved: " + (data.error || "the server refused it.") + retry, true);
        }
      });
    }).catch(function () {
      if (latest[item] !== body.seq) { return; }
      delete sent[item];
      retryLater(fieldset, item, 0, "no connection.");
    });
  }

  form.querySelectorAll("button[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.dataset.confirm)) { event.preventDefault(); }
    });
  });

  // A text box also fires "change" when it loses focus, e.g. as the student taps "Lock answers":
  // an answer already sent is not sent again (it would race the lock and be refused).
  function saveIfChanged(fieldset) {
    if (sent[fieldset.dataset.item] !== snapshot(fieldset)) { save(fieldset); }
  }

  form.querySelectorAll("fieldset[data-item]").forEach(function (fieldset) {
    fieldset.addEventListener("change", function () { saveIfChanged(fieldset); });
    fieldset.addEventListener("input", function (event) {
      if (event.target.type !== "text") { return; }
      clearTimeout(timers[fieldset.dataset.item]);
      timers[fieldset.dataset.item] = setTimeout(function () { saveIfChanged(fieldset); }, 800);
    });
  });
})();
