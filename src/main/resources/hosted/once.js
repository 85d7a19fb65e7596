// Sends each form of a hosted page once, and puts the focus on a field in error (loaded as a file: the pages' CSP
// allows no inline script). On a double click the browser shows the answer to the second post, and the first post
// has spent the step's single-use code: the user, already signed in, would land on an error page.
(function () {
  'use strict';

  var sent = new WeakSet();

  // On the document, so this runs after the form's own listeners: a submit that pow.js holds back until its
  // solution is found is not the one sent, the one it then requests is.
  document.addEventListener('submit', function (event) {
    if (event.defaultPrevented) {
      return;
    }
    if (sent.has(event.target)) {
      event.preventDefault();
      return;
    }
    sent.add(event.target);
  });

  // A page answering a step in error: the field in error takes the focus, so a screen reader reads it with the
  // error it is described by (a role="alert" present at load is not always announced). Else the step's first field
  // does, ready for typing.
  document.addEventListener('DOMContentLoaded', function () {
    var field = document.querySelector('[aria-invalid="true"]')
      || document.querySelector('form input:not([type="hidden"]), form select');
    if (field) {
      field.focus();
    }
  });

  // Back to this page from the browser's history: its forms may be sent again.
  window.addEventListener('pageshow', function (event) {
    if (event.persisted) {
      sent = new WeakSet();
    }
  });
}());
