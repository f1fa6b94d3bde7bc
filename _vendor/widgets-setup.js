/* Glue between the vendored ipywidgets embed manager and this book (not third-party code).
 * Loaded on pages with widget outputs, after require.js and before html-manager/embed-amd.js
 * (see nb_ipywidgets_js in _config.yml).
 */
(function () {
  "use strict";
  // 1. The embed bundle finds its own files (Font Awesome webfonts) relative to the URL that
  //    require.js gives its AMD module. Without a path mapping that URL is relative to the page
  //    (chapters/@jupyter-widgets/...), which does not exist: point it at _static/html-manager/.
  var src = document.currentScript && document.currentScript.src;
  if (src && window.require && window.require.config) {
    var base = src.slice(0, src.lastIndexOf("/") + 1) + "html-manager";
    window.require.config({ paths: { "@jupyter-widgets/html-manager/dist": base } });
  }
  // 2. The widgets typeset their labels through the MathJax 2 API (MathJax.Hub.Queue); the book
  //    loads MathJax 3, which has no Hub. Translate the one call they make.
  function installHubShim() {
    var mj = window.MathJax;
    if (!mj || mj.Hub) return;
    mj.Hub = {
      Queue: function () {
        for (var i = 0; i < arguments.length; i++) {
          var job = arguments[i];
          if (Array.isArray(job) && job[0] === "Typeset" && job[2] && mj.typesetPromise) {
            var element = job[2];
            (mj.startup && mj.startup.promise ? mj.startup.promise : Promise.resolve())
              .then(function () { return mj.typesetPromise([element]); })
              .catch(function () {});
          }
        }
      },
    };
  }
  installHubShim(); // MathJax may already be loaded...
  document.addEventListener("DOMContentLoaded", installHubShim); // ...or load with `defer`
  window.addEventListener("load", installHubShim); // registered before the embed manager's
})();
