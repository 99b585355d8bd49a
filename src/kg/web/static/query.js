// Query page: pick an example, run with Ctrl+Enter, insert the prefixes, copy the link.
(function () {
  "use strict";
  var form = document.getElementById("query-form");
  var text = document.getElementById("query-text");
  var picker = document.getElementById("example-picker");
  if (!form || !text) return;
  if (picker) {
    picker.addEventListener("change", function () {
      var option = picker.options[picker.selectedIndex];
      if (option && option.dataset.query) {
        text.value = option.dataset.query;
        text.focus();
      }
    });
  }
  text.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.submit();
    }
  });
  var insert = document.getElementById("insert-prefixes");
  var block = document.getElementById("prefix-block");
  if (insert && block) {
    insert.hidden = false;
    insert.addEventListener("click", function () {
      if (text.value.indexOf("PREFIX ") === -1) text.value = block.textContent + "\n" + text.value;
      text.focus();
    });
  }
  var copy = document.getElementById("copy-share");
  var share = document.getElementById("share-url");
  if (copy && share && navigator.clipboard) {
    copy.hidden = false;
    copy.setAttribute("aria-label", document.documentElement.lang === "de" ? "Link kopieren" : "Copy link");
    copy.addEventListener("click", function () { navigator.clipboard.writeText(share.value); });
  }
  var results = document.getElementById("results");
  if (results) results.focus();
})();
