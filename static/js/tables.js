// A table wider than the screen scrolls inside its .table-wrap; this says so above it
// ("swipe sideways for more columns"), only while it really is wider. Its first column stays
// put (CSS), so each row keeps its name. Runs on load, on resize and on what htmx swaps in.
(function () {
  "use strict";

  function mark(root) {
    var text = document.body.dataset.scrollCue;
    (root || document).querySelectorAll(".table-wrap").forEach(function (wrap) {
      var scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
      wrap.classList.toggle("scrolls", scrolls);
      var cue = wrap.previousElementSibling;
      if (!cue || !cue.classList.contains("scroll-cue")) {
        if (!scrolls) { return; }
        cue = document.createElement("p");
        cue.className = "scroll-cue";
        cue.textContent = text;
        wrap.parentNode.insertBefore(cue, wrap);
      }
      cue.hidden = !scrolls;
    });
  }

  document.addEventListener("DOMContentLoaded", function () { mark(document); });
  window.addEventListener("resize", function () { mark(document); });
  document.addEventListener("htmx:load", function () { mark(document); });
  // A table in a closed <details> has no width until it opens.
  document.addEventListener("toggle", function () { mark(document); }, true);
})();
