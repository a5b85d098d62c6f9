// Pol.is-style voting, one statement after another, without a page load per vote.
//
// The deck page works on its own: each vote posts to the vote action, which sends
// the resident back to the deck for the next statement. Here the same POST is sent
// with fetch (redirects followed), and the next card is taken from the page that
// comes back, so the server renders every card, in one template.

function deck() {
  return document.querySelector("[data-vote-deck]");
}

// What the vote action said (e.g. "voting is closed") came back in the fetched page.
function showMessages(page) {
  const said = page.querySelector(".messages");
  const shown = document.querySelector(".messages");
  if (shown) shown.remove();
  if (said) document.querySelector("main").before(said);
}

async function vote(form, submitter) {
  const data = new FormData(form);
  if (submitter && submitter.name) data.set(submitter.name, submitter.value);
  const current = deck();
  const error = current.querySelector("[data-vote-deck-error]");
  for (const button of form.querySelectorAll("button")) button.disabled = true;
  let next = null;
  let url = null;
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      redirect: "follow",
    });
    if (response.ok) {
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      next = page.querySelector("[data-vote-deck]");
      url = response.url;
      showMessages(page);
    } else if (error) {
      // The server's own words (e.g. "You are doing that too often…") when it sent some.
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const said = page.querySelector("main p");
      if (said && said.textContent.trim()) error.textContent = said.textContent.trim();
    }
  } catch {
    next = null;
  }
  if (!next) {
    for (const button of form.querySelectorAll("button")) button.disabled = false;
    if (error) error.hidden = false;
    return;
  }
  current.replaceWith(next);
  if (url) window.history.replaceState(null, "", url);
  const card = next.querySelector("#vote-card");
  if (card) card.focus();
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.closest("[data-vote-deck]")) return;
  event.preventDefault();
  vote(form, event.submitter);
});
