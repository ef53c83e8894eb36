// The case map: Leaflet with the configuration built on the server (folium), unit boundaries,
// and the cases of the current view: clustered markers when few, a heat map of grid cells when
// many. Everything is loaded from this site (no inline script or style: the CSP forbids them).
(function () {
  "use strict";
  var el = document.getElementById("case-map");
  if (!el || typeof L === "undefined") { return; }
  var ds = el.dataset;
  var cfg = JSON.parse(ds.config);
  var statusEl = document.getElementById("case-map-status");

  function fitHeight() {  // CSSOM writes are allowed by the CSP (style attributes are not)
    var top = el.getBoundingClientRect().top + window.scrollY;
    el.style.height = Math.max(360, window.innerHeight - top - 24) + "px";
  }
  fitHeight();

  var map = L.map(el, cfg.options);
  if (cfg.tiles) { L.tileLayer(cfg.tiles.url, cfg.tiles.options).addTo(map); }
  // The first view is set once, without animation, so that it asks for the data only once.
  if (cfg.fit) { map.fitBounds(cfg.fit.bounds, cfg.fit.options); }
  else { map.setView(cfg.center, cfg.zoom); }
  if (cfg.scale) { L.control.scale({imperial: false}).addTo(map); }

  function say(text) { if (statusEl) { statusEl.textContent = text; } }
  function label(name, values) {
    var text = ds["label" + name.charAt(0).toUpperCase() + name.slice(1)] || "";
    Object.keys(values || {}).forEach(function (key) {
      text = text.replace("{" + key + "}", values[key].toLocaleString());
    });
    return text;
  }

  var units = L.geoJSON(null, {
    interactive: true,
    style: function () { return {color: "#0d6efd", weight: 2, opacity: 0.7, fill: false}; },
    onEachFeature: function (feature, layer) {
      layer.bindTooltip(feature.properties.name + " (" + feature.properties.code + ")",
                        {sticky: true});
    }
  }).addTo(map);
  var markers = L.markerClusterGroup({chunkedLoading: true, showCoverageOnHover: false}).addTo(map);
  // maxZoom 0: leaflet.heat then uses the intensities as given at every zoom level.
  var heat = L.heatLayer([], {radius: 20, blur: 15, max: 1.0, maxZoom: 0, minOpacity: 0.3}).addTo(map);
  var overlays = {};
  overlays[label("heat")] = heat;
  overlays[label("markers")] = markers;
  overlays[label("units")] = units;
  L.control.layers(null, overlays, {collapsed: true}).addTo(map);

  fetch(ds.unitsUrl, {credentials: "same-origin", headers: {Accept: "application/json"}})
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (fc) { if (fc) { units.addData(fc); } })
    .catch(function () { /* boundaries are optional */ });

  function popup(point) {
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = ds.caseUrl + encodeURIComponent(point[2]);
    link.textContent = point[3];
    link.className = "font-monospace";
    link.title = label("open");
    box.appendChild(link);
    return box;
  }

  function clamp(v, lo, hi) { return Math.max(lo, Math.min(hi, v)); }
  function viewParams() {
    var b = map.getBounds();
    var bbox = [clamp(b.getWest(), -180, 180), clamp(b.getSouth(), -90, 90),
                clamp(b.getEast(), -180, 180), clamp(b.getNorth(), -90, 90)]
      .map(function (v) { return v.toFixed(6); }).join(",");
    return {bbox: bbox, zoom: String(Math.floor(map.getZoom()))};
  }

  function withParams(url, params) {
    var u = new URL(url, window.location.href);
    Object.keys(params).forEach(function (k) { u.searchParams.set(k, params[k]); });
    return u;
  }

  var controller = null;
  function load() {
    var params = viewParams();
    // Keep the view in the address so that a reload or a shared link opens the same place.
    var here = withParams(window.location.href, params);
    window.history.replaceState(null, "", here.pathname + here.search);
    if (controller) { controller.abort(); }
    controller = typeof AbortController !== "undefined" ? new AbortController() : null;
    fetch(withParams(ds.dataUrl, params).toString(), {
      credentials: "same-origin", headers: {Accept: "application/json"},
      signal: controller ? controller.signal : undefined
    })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(draw)
      .catch(function (err) { if (!err || err.name !== "AbortError") { say(label("error")); } });
  }

  function draw(data) {
    markers.clearLayers();
    heat.setLatLngs([]);
    if (data.mode === "points") {
      markers.addLayers(data.points.map(function (p) {
        return L.marker([p[0], p[1]], {title: p[3]}).bindPopup(popup.bind(null, p));
      }));
      say(data.points.length ? label("points", {n: data.points.length}) : label("empty"));
    } else {
      var max = 1;
      data.cells.forEach(function (c) { if (c[2] > max) { max = c[2]; } });
      var scale = Math.log(1 + max);
      heat.setLatLngs(data.cells.map(function (c) {
        return [c[0], c[1], Math.log(1 + c[2]) / scale];
      }));
      say(label("cells", {n: data.total, cells: data.cells.length}));
    }
  }

  var timer = null;
  map.on("moveend", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(load, 250);
  });
  window.addEventListener("resize", function () { fitHeight(); map.invalidateSize(); });
  load();
})();
