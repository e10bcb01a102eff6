/* Source viewer: bring the cited passage to the middle of the screen and give it focus. */
(function () {
  "use strict";
  var mark = document.getElementById("cite");
  if (!mark) return;
  window.requestAnimationFrame(function () {
    mark.scrollIntoView({ block: "center" });
    mark.focus({ preventScroll: true });
  });
})();
