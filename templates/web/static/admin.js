// The admin console's only script: live delivery counts. Pages work without it.
(function () {
  "use strict";
  function watch(table) {
    var url = table.getAttribute("data-live");
    if (!url || /ids=$/.test(url)) { return; }
    function tick() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          Object.keys(data).forEach(function (id) {
            var row = document.querySelector('[data-edition="' + id + '"]');
            if (!row) { return; }
            Object.keys(data[id]).forEach(function (state) {
              var cell = row.querySelector('[data-state="' + state + '"]');
              if (cell && cell.textContent !== String(data[id][state])) { cell.textContent = data[id][state]; }
            });
          });
        })
        .catch(function () { /* the next tick tries again */ });
    }
    setInterval(tick, 2000);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live]").forEach(watch);
  });
})();
