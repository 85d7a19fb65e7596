// Sends each form of a hosted page once (loaded as a file: the pages' CSP allows no inline script). On a double
// click the browser shows the answer to the second post, and the first post has spent the step's single-use code:
// the user, already signed in, would land on an error page.
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

  // Back to this page from the browser's history: its forms may be sent again.
  window.addEventListener('pageshow', function (event) {
    if (event.persisted) {
      sent = new WeakSet();
    }
  });
}());
