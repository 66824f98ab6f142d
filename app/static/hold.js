// htmx pages (the console): a part is not replaced under a pressed mouse button or finger. A click
// whose press and release land on two copies of a button is no click, so when an answer (the
// paper form's tally after a change) arrives while a button is held, its swap waits for the
// release. The resident's phone does the same in vote.js.
(function () {
  "use strict";

  var pressed = false;
  var held = [];

  function release() {
    pressed = false;
    var swaps = held;
    held = [];
    if (swaps.length) window.setTimeout(function () { swaps.forEach(function (run) { run(); }); }, 0);
  }

  function attribute(elt, name) {
    var owner = elt && elt.closest("[" + name + "]");
    return owner ? owner.getAttribute(name) : null;
  }

  document.addEventListener("pointerdown", function () { pressed = true; }, true);
  document.addEventListener("pointerup", release, true);
  document.addEventListener("pointercancel", release, true);

  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (!pressed || !detail.shouldSwap) return;
    detail.shouldSwap = false;
    var elt = detail.requestConfig && detail.requestConfig.elt;
    var target = detail.target;
    var style = (attribute(elt, "hx-swap") || "innerHTML").split(" ")[0];
    var select = attribute(elt, "hx-select");
    var content = detail.serverResponse;
    held.push(function () {
      // An earlier held swap may have replaced the target: take the one now in the page.
      var now = (target.id && document.getElementById(target.id)) || target;
      if (!now.isConnected) return;
      window.htmx.swap(now, content, { swapStyle: style }, select ? { select: select } : {});
    });
  });
})();
