// Ask before a remove button takes someone or something off a cohort. Optional: without
// JavaScript the buttons still work (and what they remove can be added back).
(function () {
  "use strict";
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    });
  });
})();
