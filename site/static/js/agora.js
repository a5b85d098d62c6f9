// Agora's small site-wide enhancements; every page works without them.
//
// After an action the server sends the visitor back to the item they acted on
// (a #fragment). Browsers scroll there but leave keyboard focus at the top; move
// it to the item so that the next Tab continues from where the visitor was.
function focusFragmentTarget() {
  const id = decodeURIComponent(window.location.hash.slice(1));
  if (!id) return;
  const target = document.getElementById(id);
  if (!target) return;
  if (!target.matches("a[href], button, input, select, textarea, [tabindex]")) {
    target.setAttribute("tabindex", "-1");
  }
  target.focus({ preventScroll: false });
}

// The folded menu closes with Escape, and focus returns to its button.
function escapeClosesMenu() {
  const menu = document.querySelector(".site-menu");
  if (!menu) return;
  menu.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && menu.open && getComputedStyle(menu.querySelector("summary")).display !== "none") {
      menu.open = false;
      menu.querySelector("summary").focus();
    }
  });
}

focusFragmentTarget();
escapeClosesMenu();
