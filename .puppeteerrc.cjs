// The engine's browser tests use an existing Chrome/Chromium (see test/browser/chrome.ts);
// skip puppeteer's own download, which needs an internet connection that many machines lack.
module.exports = { skipDownload: true };
