/* Progress feedback for file uploads (photos, documents, evidence).
 *
 * Every multipart form on the site is sent as usual unless a file was chosen: then it is sent with
 * XMLHttpRequest so the page can show how much has gone up (a <progress> bar and a live-region
 * text for screen readers), and the submit button is disabled against double posts. The server
 * answers exactly as for a normal post (a redirect, or the form again with its errors); that answer
 * replaces the page, and the address bar shows where it came from.
 * Forms whose confirm() dialog (data-confirm, actions.js) was answered "Cancel" are left alone.
 */
(function () {
  "use strict";

  function chosenFiles(form) {
    var count = 0;
    var bytes = 0;
    form.querySelectorAll("input[type=file]").forEach(function (input) {
      Array.prototype.forEach.call(input.files || [], function (file) {
        count += 1;
        bytes += file.size;
      });
    });
    return { count: count, bytes: bytes };
  }

  function size(bytes) {
    if (bytes >= 1024 * 1024) {
      return (bytes / 1024 / 1024).toFixed(1) + " MB";
    }
    return Math.max(1, Math.round(bytes / 1024)) + " kB";
  }

  function indicator(form, submitter) {
    var box = form.querySelector(".upload-progress");
    if (!box) {
      box = document.createElement("div");
      box.className = "upload-progress";
      box.innerHTML = '<progress max="100" value="0"></progress><small role="status" aria-live="polite"></small>';
      var anchor = submitter || form.querySelector("[type=submit]");
      if (anchor && anchor.parentNode) {
        anchor.parentNode.insertBefore(box, anchor);
      } else {
        form.appendChild(box);
      }
    }
    var bar = box.querySelector("progress");
    bar.setAttribute("aria-label", "Upload progress");
    return { bar: bar, text: box.querySelector("small") };
  }

  function replacePage(xhr) {
    var html = xhr.responseText;
    if (xhr.responseURL && xhr.responseURL !== window.location.href) {
      window.history.pushState(null, "", xhr.responseURL);
    }
    document.open();
    document.write(html);
    document.close();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !(form instanceof HTMLFormElement)) {
      return;
    }
    if ((form.getAttribute("enctype") || "").toLowerCase() !== "multipart/form-data") {
      return;
    }
    var files = chosenFiles(form);
    if (!files.count || typeof window.FormData !== "function") {
      return; // nothing to upload: a normal post
    }
    event.preventDefault();
    var submitter = event.submitter || null;
    var data = submitter ? new FormData(form, submitter) : new FormData(form);
    var shown = indicator(form, submitter);
    var what = files.count === 1 ? "1 file" : files.count + " files";
    shown.text.textContent = "Uploading " + what + " (" + size(files.bytes) + ")…";
    form.setAttribute("aria-busy", "true");
    form.querySelectorAll("[type=submit]").forEach(function (button) {
      button.disabled = true;
    });

    var xhr = new XMLHttpRequest();
    xhr.open((form.getAttribute("method") || "post").toUpperCase(), form.action || window.location.href);
    xhr.upload.addEventListener("progress", function (progress) {
      if (progress.lengthComputable) {
        var percent = Math.round((progress.loaded / progress.total) * 100);
        shown.bar.value = percent;
        shown.text.textContent = "Uploading " + what + ": " + percent + "%";
      }
    });
    xhr.upload.addEventListener("load", function () {
      shown.bar.value = 100;
      shown.text.textContent = "Uploaded; saving…";
    });
    xhr.addEventListener("load", function () {
      replacePage(xhr);
    });
    xhr.addEventListener("error", function () {
      form.removeAttribute("aria-busy");
      form.querySelectorAll("[type=submit]").forEach(function (button) {
        button.disabled = false;
      });
      shown.bar.removeAttribute("value");
      shown.text.textContent = "The upload did not go through. Check your connection and try again.";
    });
    xhr.send(data);
  });
})();
