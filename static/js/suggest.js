// The agreement search box as a combobox (WAI-ARIA 1.2, list autocomplete): as one
// types, the names the registry knows that begin with the words (registry.views.suggest)
// are listed under the box; the arrow keys move through them, Enter opens the search an
// option means, Escape closes the list. Without this script the box is a plain search
// box and the page reads names in the words itself.
"use strict";
(() => {
  const box = document.querySelector("input[data-suggest-url]");
  if (!box) return;
  const list = document.createElement("ul");
  list.id = "suggestions";
  list.className = "suggestions";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", box.dataset.suggestLabel || "");
  list.hidden = true;
  box.closest(".search-bar").append(list);
  box.setAttribute("role", "combobox");
  box.setAttribute("aria-autocomplete", "list");
  box.setAttribute("aria-controls", list.id);
  box.setAttribute("aria-expanded", "false");
  box.setAttribute("autocomplete", "off");

  let options = [];
  let active = -1;
  let pending = null;
  let timer = 0;

  const show = (open) => {
    list.hidden = !open;
    box.setAttribute("aria-expanded", String(open));
    if (!open) choose(-1);
  };
  const choose = (index) => {
    active = index;
    options.forEach((option, i) => option.setAttribute("aria-selected", String(i === index)));
    if (index >= 0) {
      box.setAttribute("aria-activedescendant", options[index].id);
      options[index].scrollIntoView({ block: "nearest" });
    } else {
      box.removeAttribute("aria-activedescendant");
    }
  };
  const render = (suggestions) => {
    list.replaceChildren();
    options = suggestions.map((suggestion, i) => {
      const option = document.createElement("li");
      option.id = `suggestion-${i}`;
      option.setAttribute("role", "option");
      option.dataset.url = suggestion.url;
      const name = document.createElement("span");
      name.textContent = suggestion.label;
      const kind = document.createElement("span");
      kind.className = "suggestion-kind";
      kind.textContent = suggestion.kind;
      option.append(name, " ", kind);
      option.addEventListener("mousedown", (event) => event.preventDefault());
      option.addEventListener("click", () => window.location.assign(option.dataset.url));
      list.append(option);
      return option;
    });
    show(options.length > 0);
  };
  const ask = async () => {
    const words = box.value.trim();
    if (pending) pending.abort();
    if (!words) return render([]);
    pending = new AbortController();
    try {
      const url = `${box.dataset.suggestUrl}?${new URLSearchParams({ q: words })}`;
      const answer = await fetch(url, { signal: pending.signal });
      if (answer.ok) render((await answer.json()).suggestions);
    } catch (error) {
      if (error.name !== "AbortError") render([]);
    }
  };

  box.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(ask, 150);
  });
  box.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (list.hidden && options.length) show(true);
      else if (options.length) choose((active + 1) % options.length);
    } else if (event.key === "ArrowUp" && options.length && !list.hidden) {
      event.preventDefault();
      choose(active <= 0 ? options.length - 1 : active - 1);
    } else if (event.key === "Enter" && active >= 0 && !list.hidden) {
      event.preventDefault();
      window.location.assign(options[active].dataset.url);
    } else if (event.key === "Escape" && !list.hidden) {
      event.preventDefault();
      show(false);
    }
  });
  box.addEventListener("blur", () => show(false));
})();
