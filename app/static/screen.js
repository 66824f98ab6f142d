// The projector: the arrow keys (and Page Up/Down, as a presenter clicker sends) turn the pages
// of results, by following the page's own "previous" and "next" links.
document.addEventListener("keydown", function (event) {
  if (event.altKey || event.ctrlKey || event.metaKey) return;
  var rel = null;
  if (event.key === "ArrowRight" || event.key === "PageDown" || event.key === " ") rel = "next";
  if (event.key === "ArrowLeft" || event.key === "PageUp") rel = "prev";
  if (!rel) return;
  var link = document.querySelector('a[rel="' + rel + '"]');
  if (link) {
    event.preventDefault();
    window.location.href = link.href;
  }
});
