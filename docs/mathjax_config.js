// The site's MathJax always typesets with the web fonts copied into html/mathjax/fonts,
// never with fonts that happen to be installed where the page is read: the formulas look
// the same on every machine, offline, from file:// (tools/check_docs_browser.sh checks
// that the fonts load).
MathJax.Hub.Config({
  "HTML-CSS": { availableFonts: [], preferredFont: null, webFont: "TeX", imageFont: null }
});
