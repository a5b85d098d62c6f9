// "Has someone proposed this already?" while a resident types a new idea. The form
// also shows similar ideas server-side on its preview step, so this only saves a click.
const form = document.querySelector("form[data-similar-url]");
// Words from Django's JavaScript catalogue (/jsi18n/, loaded by base.html).
const gettext = window.gettext || ((text) => text);

if (form) {
  const url = form.dataset.similarUrl;
  const title = form.querySelector("[name=title]");
  const description = form.querySelector("[name=description]");
  const box = form.parentElement.querySelector("[data-similar-results]");
  const heading = gettext("Has someone proposed this already?");
  const intro = gettext(
    "These ideas look similar. You can support one of them instead, or go on with yours.",
  );
  const exclude = form.dataset.similarExclude || "";
  let timer = null;
  let lastQuery = "";
  let controller = null;

  const render = (results) => {
    box.replaceChildren();
    if (!results.length) return;
    const h = document.createElement("h2");
    h.textContent = heading;
    const p = document.createElement("p");
    p.textContent = intro;
    const list = document.createElement("ul");
    for (const idea of results) {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = idea.url;
      link.textContent = idea.title;
      item.append(link, ` (${idea.state})`);
      list.append(item);
    }
    box.append(h, p, list);
  };

  const lookup = async () => {
    const query = `${title.value.trim()}|${description.value.trim().slice(0, 500)}`;
    if (query === lastQuery || title.value.trim().length < 4) return;
    lastQuery = query;
    if (controller) controller.abort();
    controller = new AbortController();
    const params = new URLSearchParams({
      title: title.value,
      description: description.value.slice(0, 2000),
      exclude,
    });
    try {
      const response = await fetch(`${url}?${params}`, {
        signal: controller.signal,
        headers: { Accept: "application/json" },
      });
      if (response.ok) render((await response.json()).results);
    } catch (error) {
      if (error.name !== "AbortError") console.warn("similar ideas:", error);
    }
  };

  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(lookup, 400);
  };
  title.addEventListener("input", schedule);
  description.addEventListener("input", schedule);
}
