/* Comfort only: every action works without this file (countdown refresh, drag and drop on the upload zone,
   the version page reloading itself when its logo check ends). */
(function () {
  "use strict";
  var words = {
    fr: { d: " jour(s) et ", h: " heure(s)", hm: " heure(s) et ", m: " minute(s)", over: "échéance dépassée" },
    en: { d: " day(s) and ", h: " hour(s)", hm: " hour(s) and ", m: " minute(s)", over: "deadline passed" }
  };
  function tick() {
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var w = words[el.getAttribute("data-lang")] || words.fr;
      var left = Math.floor((Date.parse(el.getAttribute("data-deadline")) - Date.now()) / 1000);
      if (isNaN(left)) { return; }
      if (left <= 0) { el.textContent = w.over; return; }
      var d = Math.floor(left / 86400), h = Math.floor((left % 86400) / 3600), m = Math.floor((left % 3600) / 60);
      el.textContent = d > 0 ? d + w.d + h + w.h : h + w.hm + m + w.m;
    });
  }
  function dropzones() {
    document.querySelectorAll("[data-dropzone]").forEach(function (zone) {
      var input = zone.querySelector("input[type=file]");
      if (!input) { return; }
      ["dragenter", "dragover"].forEach(function (type) {
        zone.addEventListener(type, function (event) { event.preventDefault(); zone.classList.add("is-over"); });
      });
      ["dragleave", "drop"].forEach(function (type) {
        zone.addEventListener(type, function () { zone.classList.remove("is-over"); });
      });
      zone.addEventListener("drop", function (event) {
        event.preventDefault();
        if (event.dataTransfer && event.dataTransfer.files.length) { input.files = event.dataTransfer.files; }
      });
    });
  }
  function showProgress(panel, progress) {
    var bar = panel.querySelector("progress"), label = panel.querySelector("[data-label]");
    if (!bar || !label || typeof progress !== "number") { return; }
    var percent = Math.round(progress * 100);
    bar.value = percent;
    bar.classList.remove("is-waiting");
    label.textContent = label.getAttribute("data-label").replace("{percent}", percent);
  }
  function followCheck(panel) {
    var url = panel.getAttribute("data-check-status");
    var every = 1000 * (parseInt(panel.getAttribute("data-check-every"), 10) || 4);
    function poll() {
      fetch(url, { credentials: "same-origin", cache: "no-store" })
        .then(function (response) { return response.ok ? response.json() : { checking: true }; })
        .then(function (state) {
          if (!state.checking) { window.location.reload(); return; }
          showProgress(panel, state.progress);
          setTimeout(poll, every);
        })
        .catch(function () { setTimeout(poll, every * 2); });
    }
    setTimeout(poll, every);
  }
  document.addEventListener("DOMContentLoaded", function () {
    dropzones();
    document.querySelectorAll("[data-check-status]").forEach(followCheck);
    if (document.querySelector("[data-deadline]")) { setInterval(tick, 30000); }
  });
})();
