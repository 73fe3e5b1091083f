// Runs before the page is drawn: marks the document as scripted, so styles that
// only make sense with portal.js (the folding nav on narrow screens) apply from
// the first paint. Without JavaScript the nav stays open above the page.
document.documentElement.classList.add("js");
