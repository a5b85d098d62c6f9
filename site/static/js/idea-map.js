// Progressive enhancement for idea campaigns: a Leaflet map of located ideas on the
// campaign page, and a point picker that fills the latitude/longitude fields on the
// idea form. Without JavaScript (or without tiles) the list and the fields still work.
const L = window.L;

function baseMap(element) {
  const lat = parseFloat(element.dataset.lat);
  const lon = parseFloat(element.dataset.lon);
  const zoom = parseInt(element.dataset.zoom || "13", 10);
  const map = L.map(element, { scrollWheelZoom: false });
  L.tileLayer(element.dataset.tiles, {
    maxZoom: 19,
    attribution: element.dataset.attribution || "",
  }).addTo(map);
  if (Number.isFinite(lat) && Number.isFinite(lon)) {
    map.setView([lat, lon], zoom);
  } else {
    map.setView([0, 0], 2);
  }
  element.hidden = false;
  return map;
}

function showIdeas(element) {
  const source = document.getElementById(element.dataset.points);
  if (!source) return;
  const points = JSON.parse(source.textContent);
  const map = baseMap(element);
  const markers = [];
  for (const point of points) {
    const marker = L.marker([point.lat, point.lon], { title: point.title });
    // Text, never HTML: titles are residents' words.
    let popup = document.createTextNode(point.title);
    if (point.url) {
      popup = document.createElement("a");
      popup.href = point.url;
      popup.textContent = point.title;
    }
    marker.bindPopup(popup);
    marker.addTo(map);
    markers.push(marker);
  }
  if (markers.length > 1 && !element.dataset.lat) {
    map.fitBounds(L.featureGroup(markers).getBounds().pad(0.1));
  }
}

function pickPoint(element) {
  const form = element.closest("form");
  const latInput = form.querySelector("[name=lat]");
  const lonInput = form.querySelector("[name=lon]");
  if (!latInput || !lonInput) return;
  const map = baseMap(element);
  let marker = null;
  const place = (lat, lon) => {
    if (marker) marker.setLatLng([lat, lon]);
    else marker = L.marker([lat, lon]).addTo(map);
  };
  if (latInput.value && lonInput.value) {
    place(parseFloat(latInput.value), parseFloat(lonInput.value));
    map.setView([parseFloat(latInput.value), parseFloat(lonInput.value)], map.getZoom());
  }
  map.on("click", (event) => {
    latInput.value = event.latlng.lat.toFixed(6);
    lonInput.value = event.latlng.lng.toFixed(6);
    place(event.latlng.lat, event.latlng.lng);
  });
}

if (L) {
  document.querySelectorAll("[data-idea-map]").forEach(showIdeas);
  document.querySelectorAll("[data-point-picker]").forEach(pickPoint);
}
