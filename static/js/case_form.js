// The roadside form: fill the map point from the phone's location, and check plates as typed.
(function () {
  "use strict";
  var button = document.getElementById("use-location");
  if (button && navigator.geolocation) {
    button.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (pos) {
        document.getElementById("lat").value = pos.coords.latitude.toFixed(6);
        document.getElementById("lng").value = pos.coords.longitude.toFixed(6);
      });
    });
  }
  document.querySelectorAll(".plate-hint").forEach(function (hint) {
    var input = document.getElementById(hint.dataset.for);
    if (!input) { return; }
    input.addEventListener("change", function () {
      if (!input.value.trim()) { hint.textContent = ""; return; }
      fetch("/vehicles/lookup?plate=" + encodeURIComponent(input.value), {credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (data) {
          input.value = data.plate;
          var parts = [];
          if (!data.valid) { parts.push("⚠ " + (document.documentElement.lang === "en" ? "not a valid plate" : "车牌格式不正确")); }
          if (data.earlier_cases.length) {
            parts.push((document.documentElement.lang === "en" ? "Earlier cases: " : "历史案件：") +
              data.earlier_cases.map(function (c) { return c.number; }).join(", "));
          }
          if (data.near_matches.length) {
            parts.push((document.documentElement.lang === "en" ? "Similar plates: " : "相近车牌：") + data.near_matches.join(", "));
          }
          hint.textContent = parts.join(" · ");
          hint.className = "small plate-hint " + (data.earlier_cases.length || !data.valid ? "text-danger fw-bold" : "text-muted");
        });
    });
  });
  document.querySelectorAll(".id-hint").forEach(function (hint) {
    var input = document.getElementById(hint.dataset.for);
    if (!input) { return; }
    input.addEventListener("change", function () {
      if (!input.value.trim()) { hint.textContent = ""; return; }
      fetch("/persons/lookup?id_number=" + encodeURIComponent(input.value), {credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (data) {
          input.value = data.id_number;
          var parts = [];
          if (!data.valid) { parts.push("⚠ " + data.message); }
          if (data.earlier_cases.length) {
            parts.push((document.documentElement.lang === "en" ? "Earlier cases: " : "历史案件：") +
              data.earlier_cases.map(function (c) { return c.number; }).join(", "));
          }
          hint.textContent = parts.join(" · ");
          hint.className = "small id-hint " + (parts.length ? "text-danger fw-bold" : "text-muted");
        });
    });
  });
})();
