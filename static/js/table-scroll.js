/* Wide tables on narrow screens: each table in <main> sits in a wrapper that scrolls sideways on
 * its own, so the page itself never does. A wrapper that really scrolls becomes a named, focusable
 * region, so keyboard users can scroll it too (WCAG 2.1.1); one that fits stays out of the tab order.
 */
(function () {
  "use strict";
  var wrappers = [];

  function name(table) {
    var caption = table.querySelector("caption");
    var label = table.getAttribute("aria-label") || (caption && caption.textContent.trim());
    if (!label) {
      var heading = table.closest("section, article");
      heading = heading && heading.querySelector("h2, h3");
      label = heading ? heading.textContent.trim() : "Table";
    }
    return label + " (scrolls sideways)";
  }

  function update() {
    wrappers.forEach(function (wrapper) {
      if (wrapper.scrollWidth > wrapper.clientWidth + 1) {
        wrapper.setAttribute("tabindex", "0");
        wrapper.setAttribute("role", "region");
        wrapper.setAttribute("aria-label", wrapper.dataset.label);
      } else {
        wrapper.removeAttribute("tabindex");
        wrapper.removeAttribute("role");
        wrapper.removeAttribute("aria-label");
      }
    });
  }

  document.querySelectorAll("main table").forEach(function (table) {
    if (table.closest(".table-scroll") || table.classList.contains("occupancy")) {
      return;
    }
    var wrapper = document.createElement("div");
    wrapper.className = "table-scroll";
    wrapper.dataset.label = name(table);
    table.parentNode.insertBefore(wrapper, table);
    wrapper.appendChild(table);
    wrappers.push(wrapper);
  });
  update();
  window.addEventListener("resize", update);
})();
