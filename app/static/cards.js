// Voting cards: the file comes as the answer to the form. Once it is here the page reloads, so
// that its counts show the new cards and nobody makes a second batch thinking the first failed.
// Without JavaScript the form works as a plain form (the file downloads, the page stays).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.matches || !form.matches("form[data-download-then-reload]")) return;
  event.preventDefault();
  var button = form.querySelector("button[type=submit]");
  if (button) button.disabled = true;
  fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" })
    .then(function (response) {
      var disposition = response.headers.get("Content-Disposition") || "";
      if (!response.ok || disposition.indexOf("attachment") === -1) {
        // A refusal (a field to correct): show the page the server answered with.
        return response.text().then(function (html) {
          document.open();
          document.write(html);
          document.close();
        });
      }
      var name = (/filename="?([^";]+)"?/.exec(disposition) || [])[1] || "stemkaarten";
      return response.blob().then(function (blob) {
        var link = document.createElement("a");
        link.href = URL.createObjectURL(blob);
        link.download = name;
        document.body.appendChild(link);
        link.click();
        setTimeout(function () { window.location.reload(); }, 300);
      });
    })
    .catch(function () {
      // No connection to speak of: send the form the plain way.
      if (button) button.disabled = false;
      form.submit();
    });
});
