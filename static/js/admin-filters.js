// A box above each long list filter of the admin's sidebar that narrows the list as
// one types (templates/admin/filter.html marks the long ones). Without JavaScript the
// whole list shows.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const details of document.querySelectorAll("#changelist-filter details.long-filter")) {
    const list = details.querySelector("ul");
    const box = document.createElement("input");
    box.type = "search";
    box.className = "filter-narrow";
    box.placeholder = details.dataset.narrowLabel || "…";
    box.setAttribute("aria-label", details.dataset.narrowLabel || details.dataset.filterTitle);
    box.addEventListener("input", () => {
      const wanted = box.value.trim().toLocaleLowerCase();
      for (const item of list.querySelectorAll("li")) {
        item.hidden = wanted !== "" && !item.textContent.toLocaleLowerCase().includes(wanted);
      }
    });
    list.before(box);
  }
});
