// The search page, enhanced (it works without this): on a phone the "Saring" button opens the
// filters as a panel over the results, and after a facet change the page comes back with the
// same facet link focused and scrolled where it was (a facet change is a page load).
(function () {
  "use strict";
  var KEY = "jippnas:facet";
  var body = document.body;
  var panel = document.getElementById("saring");
  var opener = document.getElementById("saring-buka");
  var closer = document.getElementById("saring-tutup");
  if (!panel || !opener || !closer) return;
  var narrow = window.matchMedia("(max-width: 51.99rem)");

  function setOpen(open, focus) {
    body.classList.toggle("filters-open", open);
    opener.setAttribute("aria-expanded", open ? "true" : "false");
    if (focus) (open ? panel : opener).focus();
  }
  opener.setAttribute("role", "button");
  opener.setAttribute("aria-expanded", "false");
  opener.addEventListener("click", function (event) {
    if (!narrow.matches) return; // wide screens: the sidebar is beside the results
    event.preventDefault();
    setOpen(true, true);
  });
  closer.addEventListener("click", function (event) {
    if (!body.classList.contains("filters-open")) return;
    event.preventDefault();
    setOpen(false, true);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && body.classList.contains("filters-open")) setOpen(false, true);
  });

  var links = Array.prototype.slice.call(panel.querySelectorAll("a.fv"));
  links.forEach(function (link) {
    // Without script a facet link ends in #facet-<name>, so the reloaded page shows that facet;
    // here the exact link and scroll position come back instead.
    link.href = link.href.replace(/#.*$/, "");
    link.addEventListener("click", function () {
      sessionStorage.setItem(KEY, JSON.stringify({
        key: link.dataset.key, top: link.getBoundingClientRect().top, panelY: panel.scrollTop,
        open: body.classList.contains("filters-open")}));
    });
  });

  var saved = null;
  try { saved = JSON.parse(sessionStorage.getItem(KEY) || "null"); } catch (e) { saved = null; }
  sessionStorage.removeItem(KEY);
  if (!saved) return;
  if (saved.open && narrow.matches) setOpen(true, false);
  var target = links.filter(function (link) { return link.dataset.key === saved.key; })[0];
  if (!target) {
    var facet = document.getElementById("facet-" + String(saved.key).split(":")[0]);
    target = facet && facet.querySelector("summary");
  }
  if (!target) return;
  for (var d = target.closest("details"); d; d = d.parentElement.closest("details")) d.open = true;
  // The link goes back to where it was on the screen (the results above it may have changed
  // length, so the old scroll offset would not find it).
  panel.scrollTop = saved.panelY;
  window.scrollBy(0, target.getBoundingClientRect().top - saved.top);
  target.focus({preventScroll: true});
})();
