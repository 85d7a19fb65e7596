// Proof of work for the hosted pages (loaded as a file: the pages' CSP allows no inline script). A form with
// data-pow-token and data-pow-difficulty > 0 gets its pow_solution filled before it is sent: the first counter
// such that SHA-256(token + ":" + counter) begins with `difficulty` zero bits. Without JavaScript the field stays
// empty and the server offers email codes only (a code by SMS needs the same work as a password try).
(function () {
  'use strict';

  function leadingZeroBits(bytes) {
    var bits = 0;
    for (var i = 0; i < bytes.length; i++) {
      if (bytes[i] === 0) { bits += 8; continue; }
      var b = bytes[i];
      while ((b & 0x80) === 0) { bits++; b <<= 1; }
      break;
    }
    return bits;
  }

  async function solve(token, difficulty) {
    var encoder = new TextEncoder();
    for (var counter = 0; ; counter++) {
      var digest = await crypto.subtle.digest('SHA-256', encoder.encode(token + ':' + counter));
      if (leadingZeroBits(new Uint8Array(digest)) >= difficulty) {
        return String(counter);
      }
    }
  }

  document.querySelectorAll('form[data-pow-token]').forEach(function (form) {
    var difficulty = parseInt(form.getAttribute('data-pow-difficulty') || '0', 10);
    var field = form.querySelector('input[name="pow_solution"]');
    if (!(difficulty > 0) || !field || !window.crypto || !crypto.subtle) {
      return;
    }
    var solving = solve(form.getAttribute('data-pow-token'), difficulty).then(function (solution) {
      field.value = solution;
      return solution;
    });
    form.addEventListener('submit', function (event) {
      var submitter = event.submitter;
      if (field.value) {
        return;
      }
      event.preventDefault();
      solving.then(function () {
        form.requestSubmit(submitter || undefined);
      });
    });
  });
}());
