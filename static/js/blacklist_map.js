// The monitoring map: recent sightings of listed vehicles as circle markers, loaded from this
// site (no inline script or style: the CSP forbids them).
(function () {
  "use strict";
  var el = document.getElementById("sighting-map");
  if (!el || typeof L === "undefined") { return; }
  var ds = el.dataset;
  var cfg = JSON.parse(ds.config);
  var statusEl = document.getElementById("sighting-map-status");
  el.style.height = "420px";
  var map = L.map(el, cfg.options);
  if (cfg.tiles) { L.tileLayer(cfg.tiles.url, cfg.tiles.options).addTo(map); }
  map.setView(cfg.center, cfg.zoom);
  function say(text) { if (statusEl) { statusEl.textContent = text; } }
  fetch(ds.dataUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
    .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
    .then(function (data) {
      if (!data.points.length) { say(ds.labelEmpty); return; }
      var bounds = [];
      data.points.forEach(function (p) {
        var marker = L.circleMarker([p[0], p[1]], {radius: 7, color: "#dc3545"});
        var link = document.createElement("a");
        link.href = ds.entryUrl + p[4];
        link.textContent = p[2] + " · " + new Date(p[3]).toLocaleString();
        marker.bindPopup(link);
        marker.addTo(map);
        bounds.push([p[0], p[1]]);
      });
      map.fitBounds(bounds, {maxZoom: 15, padding: [24, 24]});
    })
    .catch(function () { say(ds.labelError); });
})();
