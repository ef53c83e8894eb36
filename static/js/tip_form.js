// The public tip form: pick the place on a map (tiles from configuration, or none), or use the
// phone's location; the latitude and longitude fields follow the marker and vice versa.
(function () {
  "use strict";
  var el = document.getElementById("tip-map");
  var latInput = document.getElementById("lat");
  var lngInput = document.getElementById("lng");
  var status = document.getElementById("tip-map-status");
  var marker = null;
  var map = null;

  function setPoint(lat, lng, pan) {
    latInput.value = lat.toFixed(6);
    lngInput.value = lng.toFixed(6);
    if (!map) { return; }
    if (marker) { marker.setLatLng([lat, lng]); } else { marker = L.marker([lat, lng]).addTo(map); }
    if (pan) { map.setView([lat, lng], Math.max(map.getZoom(), 15)); }
  }

  if (el && window.L && latInput && lngInput) {
    var cfg = JSON.parse(el.dataset.config || "{}");
    map = L.map(el).setView(cfg.center || [29.56, 106.55], cfg.zoom || 11);
    if (cfg.tiles && cfg.tiles.url) {
      L.tileLayer(cfg.tiles.url, cfg.tiles.options || {}).addTo(map);
    } else if (status) {
      status.textContent = el.dataset.labelNoTiles || "";
    }
    map.on("click", function (e) { setPoint(e.latlng.lat, e.latlng.lng, false); });
    var lat = parseFloat(latInput.value), lng = parseFloat(lngInput.value);
    if (isFinite(lat) && isFinite(lng)) { setPoint(lat, lng, true); }
    [latInput, lngInput].forEach(function (input) {
      input.addEventListener("change", function () {
        var a = parseFloat(latInput.value), b = parseFloat(lngInput.value);
        if (isFinite(a) && isFinite(b)) { setPoint(a, b, true); }
      });
    });
  }

  var button = document.getElementById("use-location");
  if (button) {
    if (!navigator.geolocation) { button.hidden = true; return; }
    button.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (pos) {
        setPoint(pos.coords.latitude, pos.coords.longitude, true);
      });
    });
  }
})();
