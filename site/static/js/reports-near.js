// "Reports near me": a button that fills the search with the browser's location.
// Without JavaScript (or without permission) the address field still works.
const form = document.querySelector("[data-near-form]");
const button = form && form.querySelector("[data-near-locate]");
if (button && "geolocation" in navigator) {
  button.hidden = false;
  button.addEventListener("click", () => {
    navigator.geolocation.getCurrentPosition(
      (position) => {
        form.querySelector("[data-near-lat]").value = position.coords.latitude.toFixed(6);
        form.querySelector("[data-near-lon]").value = position.coords.longitude.toFixed(6);
        form.submit();
      },
      () => {
        button.hidden = true; // refused or unavailable: the address field remains
      },
      { enableHighAccuracy: false, timeout: 10000 },
    );
  });
}
