// Progressive enhancement for budget ballots: shows the money (or choices, or
// points) left as the voter picks, and marks the form when it is over. Without
// JavaScript the server checks the ballot and names the excess. Also keeps the
// money bars' <progress> in step with live counts.
// Words from Django's JavaScript catalogue (/jsi18n/, loaded by base.html).
const gettext = window.gettext || ((text) => text);
const format = (n) => Math.round(n).toLocaleString(document.documentElement.lang || undefined);

function setup(form) {
  const kind = form.dataset.kind;
  const limit = parseInt(form.dataset.limit || "", 10);
  const output = form.querySelector("[data-ballot-left]");
  if (!output || !Number.isFinite(limit)) return;
  const currency = kind === "knapsack" ? ` ${form.dataset.currency}` : "";
  const update = () => {
    let used = 0;
    if (kind === "cumulative") {
      for (const input of form.querySelectorAll("[data-points]")) used += parseInt(input.value || "0", 10) || 0;
    } else {
      for (const box of form.querySelectorAll('input[name="project"]:checked')) {
        used += kind === "knapsack" ? parseInt(box.dataset.cost || "0", 10) : 1;
      }
    }
    const left = limit - used;
    output.hidden = false;
    output.textContent = left >= 0
      ? `${gettext("Left:")} ${format(left)}${currency}`
      : `${gettext("Over by:")} ${format(-left)}${currency}`;
    output.classList.toggle("ballot-left--over", left < 0);
    form.querySelector("button[type=submit]").setAttribute("aria-disabled", left < 0 ? "true" : "false");
  };
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
}

document.querySelectorAll("form[data-ballot]").forEach(setup);

document.addEventListener("live:event", (event) => {
  const { topic, data } = event.detail || {};
  if (!data || !data.counts) return;
  for (const [name, value] of Object.entries(data.counts)) {
    const selector = `progress[data-live-value="${CSS.escape(`${topic}:${name}`)}"]`;
    for (const bar of document.querySelectorAll(selector)) bar.value = Number(value);
  }
});
