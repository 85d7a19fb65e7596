// Proof of work for the hosted pages (loaded as a file: the pages' CSP allows no inline script). A form with
// data-pow-token and data-pow-difficulty > 0 gets its pow_solution filled before a submit that needs it (a button
// marked data-pow-needed) is sent: the first counter such that SHA-256(token + ":" + counter) begins with
// `difficulty` zero bits. Other buttons (an email code instead) go at once. Without JavaScript the field stays
// empty and the server offers email codes only (a code by SMS needs the same work as a password try).
// The same file runs as the page's Web Worker, so a long search never holds the page's own thread.
(function () {
  'use strict';

  var PROGRESS_EVERY = 20000;

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

  async function solve(token, difficulty, progress) {
    var encoder = new TextEncoder();
    for (var counter = 0; ; counter++) {
      var digest = await crypto.subtle.digest('SHA-256', encoder.encode(token + ':' + counter));
      if (leadingZeroBits(new Uint8Array(digest)) >= difficulty) {
        return String(counter);
      }
      if (counter > 0 && counter % PROGRESS_EVERY === 0) {
        progress(counter);
      }
    }
  }

  if (typeof document === 'undefined') {
    // In the worker: solve what the page sends, telling it how far the search has gone.
    self.onmessage = function (message) {
      solve(message.data.token, message.data.difficulty, function (tries) {
        self.postMessage({tries: tries});
      }).then(function (solution) {
        self.postMessage({solution: solution});
      });
    };
    return;
  }

  var scriptUrl = document.currentScript && document.currentScript.src;

  function solveAside(token, difficulty, progress) {
    if (!scriptUrl || typeof Worker === 'undefined') {
      return solve(token, difficulty, progress);
    }
    return new Promise(function (resolve) {
      var worker;
      try {
        worker = new Worker(scriptUrl);
      } catch (e) {
        resolve(solve(token, difficulty, progress));
        return;
      }
      worker.onmessage = function (message) {
        if (message.data.solution !== undefined) {
          worker.terminate();
          resolve(message.data.solution);
        } else {
          progress(message.data.tries);
        }
      };
      worker.onerror = function () {
        worker.terminate();
        resolve(solve(token, difficulty, progress));
      };
      worker.postMessage({token: token, difficulty: difficulty});
    });
  }

  document.querySelectorAll('form[data-pow-token]').forEach(function (form) {
    var difficulty = parseInt(form.getAttribute('data-pow-difficulty') || '0', 10);
    var field = form.querySelector('input[name="pow_solution"]');
    if (!(difficulty > 0) || !field || !window.crypto || !crypto.subtle) {
      return;
    }
    var status = form.querySelector('[data-pow-status]');
    var solving = solveAside(form.getAttribute('data-pow-token'), difficulty, function (tries) {
      if (status) {
        status.textContent = 'Checking this device before the password is sent (' + tries.toLocaleString()
            + ' tries so far)...';
      }
    }).then(function (solution) {
      field.value = solution;
      if (status) {
        status.textContent = '';
      }
      return solution;
    });
    form.addEventListener('submit', function (event) {
      var submitter = event.submitter;
      if (field.value || submitter && !submitter.hasAttribute('data-pow-needed')) {
        return;
      }
      event.preventDefault();
      if (status) {
        status.textContent = 'Checking this device before the password is sent...';
      }
      solving.then(function () {
        form.requestSubmit(submitter || undefined);
      });
    });
  });
}());
