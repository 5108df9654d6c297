package main

// Helpers of the browser tests (browser_test.go): one headless Chromium per
// test function, a fresh browser context (its own storage) per page, and
// small actions that wait on the page through its data-testid hooks.

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// browserPaths are the executables tried, Debian's chromium first.
var browserPaths = []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"}

// findBrowser is the path of a Chromium. Without one the test fails in CI
// (CI=true: .ci/run installs it) and is skipped elsewhere.
func findBrowser(t *testing.T) string {
	t.Helper()
	for _, name := range browserPaths {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("no Chromium found (tried %v); .ci/run installs Debian's chromium", browserPaths)
	}
	t.Skipf("no Chromium found (tried %v): apt-get install chromium", browserPaths)
	return ""
}

// newBrowser starts one headless Chromium for the test and stops it when
// the test ends. Names ending in .test resolve to 127.0.0.1, so a page can
// be opened under a plain-HTTP host name like a school server's.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := findBrowser(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("host-resolver-rules", "MAP school.test 127.0.0.1"),
		chromedp.UserDataDir(t.TempDir()),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(alloc)
	if err := chromedp.Do(bctx); err != nil { // starts the browser
		cancelBrowser()
		cancelAlloc()
		t.Fatalf("start %s: %v", path, err)
	}
	t.Cleanup(func() {
		_ = chromedp.Cancel(bctx)
		cancelBrowser()
		cancelAlloc()
	})
	return bctx
}

// page is one tab of its own browser context, opened on a URL.
type page struct {
	t   *testing.T
	ctx context.Context
	url string
}

// pageErrorTrap collects the page's uncaught errors and rejections.
const pageErrorTrap = `window.__errors = [];
addEventListener("error", (e) => window.__errors.push(String(e.message) + " " + e.filename + ":" + e.lineno));
addEventListener("unhandledrejection", (e) => window.__errors.push("rejection: " + String(e.reason && e.reason.stack || e.reason)));`

// openPage opens base (the server's URL) at a window size in a fresh
// browser context and waits until the UI has started.
func openPage(t *testing.T, bctx context.Context, base string, w, h int64) *page {
	t.Helper()
	ctx, cancel := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	p := &page{t: t, ctx: ctx, url: base}
	// The first action opens the tab, which lives as long as the context it
	// was given: ctx itself, not a timeout derived from it.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	p.do(chromedp.EmulateViewport(w, h))
	// Errors the page does not catch are kept in window.__errors for failures.
	if _, err := chromedp.Call(ctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: pageErrorTrap}); err != nil {
		t.Fatalf("browser: %v", err)
	}
	p.do(chromedp.Navigate(base + "/"))
	p.waitReady()
	return p
}

// do runs actions with a time limit.
func (p *page) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("browser: %v", err)
	}
}

// waitReady waits until main.js has started (or resumed) the page.
func (p *page) waitReady() {
	p.t.Helper()
	p.waitJS(`document.body.dataset.ready === "true"`, 15*time.Second)
}

// eval evaluates a JavaScript expression and decodes its value into T.
func eval[T any](p *page, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitJS waits until a JavaScript expression is truthy.
func (p *page) waitJS(expr string, timeout time.Duration) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, timeout+5*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		errs, _ := chromedp.Run(p.ctx, chromedp.Evaluate[[]string](`window.__errors || []`))
		p.t.Fatalf("waiting for %s: %v\npage errors: %q\nstatus: %q", expr, err, errs, p.text("#status"))
	}
}

// tid is the CSS selector of a data-testid hook.
func tid(id string) string { return fmt.Sprintf(`[data-testid=%q]`, id) }

// q is a JavaScript expression for the first element matching a selector.
func q(sel string) string { return fmt.Sprintf("document.querySelector(%q)", sel) }

// stillScroll is true once the page has not scrolled for three polls in a
// row: a smooth scroll the page started (to a new result, say) has ended.
const stillScroll = `(() => {
	const k = scrollX + "," + scrollY, w = window.__scrollProbe || { k: "", n: 0 };
	w.n = w.k === k ? w.n + 1 : 0; w.k = k; window.__scrollProbe = w;
	return w.n >= 3;
})()`

// click clicks the first element matching sel, as a user would: once the
// page stands still, since a click lands where the element was when the
// mouse event was sent.
func (p *page) click(sel string) {
	p.t.Helper()
	p.waitJS(stillScroll, 10*time.Second)
	p.do(chromedp.ScrollIntoView(chromedp.CSS(sel)))
	p.waitJS(stillScroll, 10*time.Second)
	p.do(chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// typeInto replaces the value of a text box by typing.
func (p *page) typeInto(sel, text string) {
	p.t.Helper()
	eval[bool](p, fmt.Sprintf(`(() => { const el = %s; el.value = ""; el.dispatchEvent(new Event("input")); return true; })()`, q(sel)))
	p.do(chromedp.SendKeys(chromedp.CSS(sel), text))
}

// text is the text of an element ("" when absent).
func (p *page) text(sel string) string {
	p.t.Helper()
	return eval[string](p, fmt.Sprintf(`(%s || {}).textContent || ""`, q(sel)))
}

// value is the value of a form control.
func (p *page) value(sel string) string {
	p.t.Helper()
	return eval[string](p, fmt.Sprintf(`(%s || {}).value || ""`, q(sel)))
}

// reload reloads the page and waits until the UI has started again.
func (p *page) reload() {
	p.t.Helper()
	p.do(chromedp.Reload())
	p.waitReady()
}

// expectMessageNear checks that a message hook (safety-message or
// error-message) shows want in the same part of the page as the control
// that caused it (a data-testid such as prompt-input), and returns its text.
func (p *page) expectMessageNear(hook, cause, want string) string {
	p.t.Helper()
	p.waitJS(fmt.Sprintf(`[...document.querySelectorAll(%q)].some((m) => m.textContent.includes(%q))`, tid(hook), want), 15*time.Second)
	near := eval[bool](p, fmt.Sprintf(`(() => {
		const m = [...document.querySelectorAll(%q)].find((m) => m.textContent.includes(%q));
		const c = document.querySelector(%q);
		const card = c.closest("section");
		const r1 = m.getBoundingClientRect(), r2 = c.getBoundingClientRect();
		return card.contains(m) && Math.abs(r1.top - r2.bottom) < 300;
	})()`, tid(hook), want, tid(cause)))
	if !near {
		p.t.Fatalf("%s %q is not next to %s", hook, want, cause)
	}
	return eval[string](p, fmt.Sprintf(`[...document.querySelectorAll(%q)].map((m) => m.textContent).join(" | ")`, tid(hook)))
}

// screenshots saves PNG screenshots of the page's main states to one temp
// directory per test run (not committed); the path is logged once.
type screenshots struct {
	once sync.Once
	dir  string
	err  error
}

var shots screenshots

// screenshot saves the viewport of p as name-WxH.png at each size, then
// restores the first size.
func (p *page) screenshot(name string, sizes ...[2]int64) {
	p.t.Helper()
	shots.once.Do(func() {
		shots.dir, shots.err = os.MkdirTemp("", "ai4artsed-screens-")
	})
	if shots.err != nil {
		p.t.Fatalf("screenshot dir: %v", shots.err)
	}
	for _, s := range sizes {
		p.do(chromedp.EmulateViewport(s[0], s[1]), chromedp.Sleep(150*time.Millisecond))
		ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		cancel()
		if err != nil {
			p.t.Fatalf("screenshot: %v", err)
		}
		file := filepath.Join(shots.dir, fmt.Sprintf("%s-%dx%d.png", name, s[0], s[1]))
		if err := os.WriteFile(file, png, 0o644); err != nil {
			p.t.Fatal(err)
		}
	}
	if len(sizes) > 0 {
		p.do(chromedp.EmulateViewport(sizes[0][0], sizes[0][1]))
	}
	p.t.Logf("screenshots in %s", shots.dir)
}

// Window sizes the UI must work at.
var (
	desktop = [2]int64{1280, 900}
	laptop  = [2]int64{1024, 768}
	phone   = [2]int64{390, 844}
)

// schoolURL is the server's URL under the host name school.test (mapped to
// 127.0.0.1 in the browser): a plain-HTTP, non-secure context.
func schoolURL(t *testing.T, serverURL string) string {
	t.Helper()
	u, err := url.Parse(serverURL)
	if err != nil {
		t.Fatal(err)
	}
	_, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	return "http://school.test:" + port
}

// accessibleNameProblems lists the interactive controls on the page that
// have no accessible name, or whose visible target is smaller than 44 px.
const accessibleNameProblems = `(() => {
	const problems = [];
	const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
	const byIds = (ids) => ids.split(/\s+/).map((id) => (document.getElementById(id) || {}).textContent || "").join(" ");
	const name = (el) => {
		if (el.getAttribute("aria-labelledby")) return byIds(el.getAttribute("aria-labelledby"));
		if (el.getAttribute("aria-label")) return el.getAttribute("aria-label");
		if (el.labels && el.labels.length) return [...el.labels].map((l) => l.textContent).join(" ");
		if (el.alt) return el.alt;
		const imgs = [...el.querySelectorAll("img[alt]")].map((i) => i.alt).join(" ");
		return (el.textContent || "") + imgs || el.title || "";
	};
	const sel = "button, a[href], input:not([type=hidden]), textarea, select, [tabindex]:not([tabindex='-1']), [role=button], progress, output";
	for (const el of document.querySelectorAll(sel)) {
		if (el.closest("[hidden]") || el.closest("dialog:not([open])")) continue;
		const shown = visible(el);
		const hiddenInput = el.tagName === "INPUT" && el.classList.contains("visually-hidden");
		if (!shown && !hiddenInput) continue;
		if (!name(el).trim()) problems.push("no name: " + el.outerHTML.slice(0, 120));
		if (["BUTTON", "A", "TEXTAREA"].includes(el.tagName) && shown) {
			const r = el.getBoundingClientRect();
			if (r.height < 44 || r.width < 44) problems.push("under 44px (" + Math.round(r.width) + "x" + Math.round(r.height) + "): " + el.outerHTML.slice(0, 80));
		}
		if (hiddenInput) {
			const r = el.closest("label").getBoundingClientRect();
			if (r.height < 44) problems.push("file label under 44px: " + el.outerHTML.slice(0, 80));
		}
	}
	return problems;
})()`

// joinProblems formats a list of problems for a failure message.
func joinProblems(ps []string) string { return "\n  " + strings.Join(ps, "\n  ") }
