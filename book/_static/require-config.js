// The ipywidgets html-manager is an AMD bundle: require.js resolves its modules (and the
// icon fonts next to them) from baseUrl. Point it at this site's own copy in
// _static/vendor/, whatever the depth of the page, so that nothing is fetched from a CDN.
(function () {
  var here = document.currentScript.src;  // .../_static/require-config.js
  require.config({ baseUrl: here.slice(0, here.lastIndexOf("/") + 1) + "vendor/" });
})();
