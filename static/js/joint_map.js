// Joint-enforcement maps: draws the GeoJSON in data-features (areas as polygons, cases as
// points); with data-draw-target, clicks add polygon corners written as GeoJSON to that input.
(function () {
  "use strict";
  var el = document.getElementById("joint-map");
  if (!el || !window.L) { return; }
  var cfg = JSON.parse(el.dataset.config || "{}");
  var data = JSON.parse(el.dataset.features || "{}");
  var status = document.getElementById("joint-map-status");
  var map = L.map(el).setView(cfg.center || [29.56, 106.55], cfg.zoom || 11);
  if (cfg.tiles && cfg.tiles.url) {
    L.tileLayer(cfg.tiles.url, cfg.tiles.options || {}).addTo(map);
  } else if (status) {
    status.textContent = el.dataset.labelNoTiles || "";
  }
  var units = JSON.parse(el.dataset.units || "{}");
  if (units && units.features && units.features.length) {
    L.geoJSON(units, {
      style: function () { return { color: "#6c757d", weight: 1, dashArray: "4 4", fill: false }; },
      onEachFeature: function (feature, lyr) { lyr.bindTooltip(feature.properties.name); }
    }).addTo(map);
  }
  var layer = L.geoJSON(data, {
    style: function () { return { color: "#d9822b", weight: 2, fillOpacity: 0.25 }; },
    pointToLayer: function (feature, latlng) {
      return L.circleMarker(latlng, { radius: 5, color: "#c0392b", fillOpacity: 0.7 });
    },
    onEachFeature: function (feature, lyr) {
      if (feature.properties && feature.properties.name) { lyr.bindTooltip(feature.properties.name); }
    }
  }).addTo(map);
  if (layer.getLayers().length) { map.fitBounds(layer.getBounds(), { maxZoom: 16, padding: [20, 20] }); }

  var targetId = el.dataset.drawTarget;
  var input = targetId ? document.getElementById(targetId) : null;
  if (!input) { return; }
  var corners = [];
  var drawn = null;
  function write() {
    if (drawn) { map.removeLayer(drawn); drawn = null; }
    if (corners.length === 0) { input.value = ""; return; }
    drawn = L.polygon(corners.map(function (c) { return [c[1], c[0]]; }), { color: "#2f6db5" }).addTo(map);
    if (corners.length >= 3) {
      input.value = JSON.stringify({ type: "Polygon", coordinates: [corners.concat([corners[0]])] });
    } else { input.value = ""; }
  }
  try {
    var existing = JSON.parse(input.value || "null");
    if (existing && existing.type === "Polygon") { corners = existing.coordinates[0].slice(0, -1); write(); }
  } catch (e) { corners = []; }
  map.on("click", function (e) {
    corners.push([Number(e.latlng.lng.toFixed(6)), Number(e.latlng.lat.toFixed(6))]);
    write();
  });
  var clear = document.getElementById("joint-map-clear");
  if (clear) { clear.addEventListener("click", function () { corners = []; write(); }); }
})();
