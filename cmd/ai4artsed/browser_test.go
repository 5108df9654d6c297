package main

// Browser tests of the web UI: headless Chromium against a real server with
// simulated backends, driven through the data-testid hooks of SPEC section 8.
// Helpers are in browser_helpers_test.go.

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/ai4artsed/ai4artsed/api"
)

// TestBrowserFlow walks the whole flow: choose a transformation, write the
// idea, watch it stream, edit it, choose an output, see the image, download
// it; then the gallery, the language switch, double clicks and the
// accessibility check, with screenshots of each state at three sizes.
func TestBrowserFlow(t *testing.T) {
	env := newEnv(t, envOptions{sim: SimSettings{TokenDelay: 25 * time.Millisecond, StepDelay: 15 * time.Millisecond}})
	bctx := newBrowser(t)
	p := openPage(t, bctx, env.Server.URL, desktop[0], desktop[1])

	if n := eval[int](p, `document.querySelectorAll('[data-testid=config-tile]').length`); n < 5 {
		t.Fatalf("%d config tiles", n)
	}
	if !eval[bool](p, q("#demo-banner")+".hidden") {
		t.Fatal("the demo banner is shown, but the server is not in demo mode")
	}
	p.screenshot("01-start", desktop, laptop, phone)

	// 1. Choose a transformation.
	p.click(`[data-testid=config-tile][data-config-id=dada]`)
	if got := eval[string](p, q(`[data-config-id=dada]`)+`.getAttribute("aria-pressed")`); got != "true" {
		t.Fatalf("dada aria-pressed = %q", got)
	}
	// 2. Write the idea and transform; while it streams the buttons are
	// disabled and the text read-only.
	p.typeInto(tid("prompt-input"), "Ein Fahrrad fliegt über den Schulhof mit bunten Ballons und einer Katze")
	eval[bool](p, `(() => { window.__lengths = new Set(); const ta = document.querySelector("[data-testid=interception-text]");
		window.__watch = setInterval(() => window.__lengths.add(ta.value.length), 5); return true; })()`)
	locked := eval[[]bool](p, `(() => { document.querySelector("[data-testid=transform-button]").click();
		return [document.querySelector("[data-testid=transform-button]").disabled,
			document.querySelector("[data-testid=generate-button]").disabled,
			document.querySelector("[data-testid=interception-text]").readOnly,
			!document.querySelector("[data-testid=cancel-button]").hidden]; })()`)
	if fmt.Sprint(locked) != "[true true true true]" {
		t.Fatalf("while a run starts: transform disabled, generate disabled, text read-only, cancel shown = %v", locked)
	}
	p.screenshot("02-streaming", desktop)
	p.waitJS(`!document.querySelector("[data-testid=transform-button]").disabled`, 20*time.Second)
	text := p.value(tid("interception-text"))
	if text == "" || p.text("#status") != "Fertig!" {
		t.Fatalf("after the run: text %q, status %q", text, p.text("#status"))
	}
	if n := eval[int](p, `(clearInterval(window.__watch), [...window.__lengths].filter((n) => n > 0).length)`); n < 3 {
		t.Fatalf("the text arrived in %d sizes: it did not stream", n)
	}
	if eval[bool](p, q(tid("interception-text"))+".readOnly") {
		t.Fatal("the interception text stays read-only after the run")
	}
	if got := p.text("#step-idea"); !strings.Contains(got, "Fahrrad") {
		t.Fatalf("step idea = %q", got)
	}
	if got := p.text("#step-rules"); got != "Dada" {
		t.Fatalf("step rules = %q", got)
	}
	p.screenshot("03-transformed", desktop, laptop, phone)

	// 3. Edit the text, choose an output and generate.
	p.do(chromedp.SendKeys(chromedp.CSS(tid("interception-text")), " Mit Sternen."))
	edited := p.value(tid("interception-text"))
	p.click(`[data-testid=output-tile][data-config-id=sd35_large]`)
	eval[bool](p, `(() => { window.__progress = []; const pr = document.querySelector("[data-testid=progress]");
		window.__pwatch = setInterval(() => { if (!pr.hidden) window.__progress.push(pr.value); }, 5); return true; })()`)
	p.click(tid("generate-button"))
	p.waitJS(`document.querySelector("[data-testid=result-image]") && document.querySelector("[data-testid=result-image]").complete && document.querySelector("[data-testid=result-image]").naturalWidth > 0`, 30*time.Second)
	p.waitJS(`!document.querySelector("[data-testid=generate-button]").disabled`, 10*time.Second)
	if n := eval[int](p, `(clearInterval(window.__pwatch), new Set(window.__progress).size)`); n < 2 {
		t.Fatalf("the progress bar showed %d values", n)
	}
	if got := p.text(tid("optimized-text")); got == "" || got == "–" {
		t.Fatalf("optimized text = %q", got)
	}
	if got := p.text("#status"); got != "Dein Bild ist fertig!" {
		t.Fatalf("status = %q", got)
	}
	mediaID := eval[string](p, q(tid("result-image"))+".dataset.mediaId")
	if mediaID == "" {
		t.Fatal("result image without data-media-id")
	}
	p.screenshot("04-image", desktop, laptop, phone)

	// 4. Download under a readable name.
	dir := t.TempDir()
	dctx, dcancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer dcancel()
	begin := chromedp.BrowserEvents(dctx, browser.DownloadWillBegin)
	progress := chromedp.BrowserEvents(dctx, browser.DownloadProgress)
	if _, err := chromedp.CallBrowser(dctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: new(true),
		BrowserContextID: chromedp.FromContext(p.ctx).BrowserContextID,
	}); err != nil {
		t.Fatal(err)
	}
	p.click(tid("download-link"))
	var suggested string
	for ev, err := range begin {
		if err != nil {
			t.Fatal(err)
		}
		suggested = ev.SuggestedFilename
		break
	}
	if !regexp.MustCompile(`^ai4artsed_sd35_large_\d{4}-\d{2}-\d{2}_seed\d+\.png$`).MatchString(suggested) {
		t.Fatalf("download name %q", suggested)
	}
	for ev, err := range progress {
		if err != nil {
			t.Fatal(err)
		}
		if ev.State != browser.DownloadProgressStateCompleted {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, ev.GUID))
		if err != nil || !bytes.HasPrefix(data, []byte("\x89PNG")) {
			t.Fatalf("downloaded file: %v (%d bytes)", err, len(data))
		}
		break
	}

	// 5. The gallery keeps the run; after a reload it reopens it with its texts.
	p.waitJS(`document.querySelectorAll("[data-testid=gallery-item]").length === 1`, 10*time.Second)
	p.reload()
	p.do(chromedp.Evaluate[chromedp.Void](`document.querySelector("[data-testid=interception-text]").value = ""`))
	p.click(tid("gallery-item"))
	p.waitJS(fmt.Sprintf(`document.querySelector("[data-testid=result-image][data-media-id='%s']") && document.querySelector("[data-testid=interception-text]").value === %q`, mediaID, edited), 10*time.Second)
	if got := p.text("#step-idea"); !strings.Contains(got, "Fahrrad") {
		t.Fatalf("gallery: step idea = %q", got)
	}

	// 6. The arrow keys move between tiles (roving tabindex); the focus ring
	// differs from the "chosen" look.
	p.do(chromedp.Focus(chromedp.CSS(`[data-config-id=dada]`)), chromedp.KeyEvent(kb.ArrowRight))
	moved := eval[[]string](p, `[document.activeElement.dataset.configId, String(document.activeElement.tabIndex),
		String(document.querySelector("[data-config-id=dada]").tabIndex), getComputedStyle(document.activeElement).outlineStyle,
		document.activeElement.getAttribute("aria-pressed")]`)
	if moved[0] == "dada" || moved[1] != "0" || moved[2] != "-1" || moved[3] != "solid" || moved[4] != "false" {
		t.Fatalf("after ArrowRight on dada: focused %q tabindex %s, dada tabindex %s, outline %s, pressed %s", moved[0], moved[1], moved[2], moved[3], moved[4])
	}
	p.do(chromedp.KeyEvent(kb.ArrowLeft))
	if got := eval[string](p, `document.activeElement.dataset.configId`); got != "dada" {
		t.Fatalf("ArrowLeft went to %q", got)
	}

	// 7. Every control has an accessible name and a target of 44 px.
	if problems := eval[[]string](p, accessibleNameProblems); len(problems) > 0 {
		t.Fatalf("accessibility:%s", joinProblems(problems))
	}

	// 8. Switching the language changes every text, the status line included.
	p.do(chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById("status"); s.textContent = ""; })()`))
	p.click(tid("generate-button"))
	p.waitJS(`document.getElementById("status").textContent === "Dein Bild ist fertig!"`, 30*time.Second)
	before := eval[[]string](p, `[...document.querySelectorAll("[data-i18n], .tile-desc, #status")].map((e) => e.textContent)`)
	p.click(tid("lang-toggle"))
	// The click's handler runs after the input events: wait for it, not a guess.
	p.waitJS(`document.documentElement.lang === "en" && document.getElementById("status").textContent === "Your image is ready!"`, 10*time.Second)
	after := eval[[]string](p, `[...document.querySelectorAll("[data-i18n], .tile-desc, #status")].map((e) => e.textContent)`)
	if len(before) != len(after) {
		t.Fatalf("language switch changed the page's parts: %d → %d", len(before), len(after))
	}
	for i := range before {
		if before[i] == after[i] {
			t.Errorf("text %q did not change with the language", before[i])
		}
	}
	if got := p.text("#status"); got != "Your image is ready!" {
		t.Fatalf("status after the switch = %q", got)
	}
	if got := eval[string](p, `document.documentElement.lang`); got != "en" {
		t.Fatalf("html lang = %q", got)
	}
	p.screenshot("05-english", desktop, phone)
	// 200% zoom of a 1280x900 window is a 640x450 CSS viewport: nothing may
	// stick out sideways.
	p.screenshot("05-zoom200", [2]int64{640, 450})
	p.do(chromedp.EmulateViewport(640, 450))
	if wide := eval[bool](p, `document.documentElement.scrollWidth > innerWidth`); wide {
		t.Fatal("at 200% zoom the page scrolls sideways")
	}
	p.do(chromedp.EmulateViewport(desktop[0], desktop[1]))

	// 9. Four quick clicks start one run.
	before4 := strings.Count(env.Log.lines("run finished"), "\n")
	p.do(chromedp.DoubleClick(chromedp.CSS(tid("transform-button"))))
	eval[bool](p, `(() => { const b = document.querySelector("[data-testid=transform-button]"); b.click(); b.click(); return true; })()`)
	p.waitJS(`!document.querySelector("[data-testid=transform-button]").disabled`, 20*time.Second)
	// Every run a click started has ended before counting: none is left active.
	for deadline := time.Now().Add(20 * time.Second); env.App.Pipeline.Active() > 0; {
		if time.Now().After(deadline) {
			t.Fatalf("%d runs still active", env.App.Pipeline.Active())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := strings.Count(env.Log.lines("run finished"), "\n") - before4; got != 1 {
		t.Fatalf("four clicks finished %d runs, want 1:\n%s", got, env.Log.lines("run finished"))
	}
}

// TestBrowserErrorInPlace checks that an error appears next to what caused
// it, in the chosen language: an empty idea's 400 message by the idea box.
// A safety block is checked the same way, in one function, once the server
// has its safety stage:
//
//	p.typeInto(tid("prompt-input"), "<an idea the filters block>")
//	p.click(tid("transform-button"))
//	p.expectMessageNear("safety-message", "prompt-input", "<part of the reason>")
//
// (and, when the event has a suggestion, clicking the message's button puts
// it into prompt-input).
func TestBrowserErrorInPlace(t *testing.T) {
	env := newEnv(t, envOptions{})
	bctx := newBrowser(t)
	p := openPage(t, bctx, env.Server.URL, laptop[0], laptop[1])
	p.click(tid("transform-button"))
	p.expectMessageNear("error-message", "prompt-input", "Bitte schreib zuerst deine Idee auf.")
	if !eval[bool](p, `!document.querySelector("[data-testid=transform-button]").disabled`) {
		t.Fatal("the transform button stays disabled after the error")
	}
	p.screenshot("06-error", laptop, phone)
	p.click(tid("lang-toggle"))
	p.click(tid("transform-button"))
	p.expectMessageNear("error-message", "prompt-input", "Please write your idea first.")
	if n := eval[int](p, `document.querySelectorAll("[data-testid=error-message]").length`); n != 1 {
		t.Fatalf("%d error messages: an old one stayed", n)
	}
}

// TestBrowserSafetyBlock: an idea the term filter blocks shows the
// safety stage's reason next to the idea box, in the chosen language, and
// the transform button is usable again.
func TestBrowserSafetyBlock(t *testing.T) {
	env := newEnv(t, envOptions{})
	bctx := newBrowser(t)
	p := openPage(t, bctx, env.Server.URL, laptop[0], laptop[1])
	p.typeInto(tid("prompt-input"), "ein Plakat mit h i t l e r drauf")
	p.click(tid("transform-button"))
	p.expectMessageNear("safety-message", "prompt-input", "verbotenes Zeichen")
	if !eval[bool](p, `!document.querySelector("[data-testid=transform-button]").disabled`) {
		t.Fatal("the transform button stays disabled after a safety block")
	}
	if n := eval[int](p, `document.querySelectorAll("[data-testid=error-message]").length`); n != 0 {
		t.Fatalf("a safety block also shows %d error messages", n)
	}
	p.screenshot("06b-safety", laptop, phone)
}

// TestBrowserQueue fills the LLM slot and checks the red queue state with
// the student's position, and that it clears when the slot is acquired.
func TestBrowserQueue(t *testing.T) {
	env := newEnv(t, envOptions{
		sim:    SimSettings{TokenDelay: 120 * time.Millisecond},
		mutate: func(s *Settings) { s.LLMSlots = 1 },
	})
	bctx := newBrowser(t)
	p := openPage(t, bctx, env.Server.URL, desktop[0], desktop[1])
	long := "Ein Fahrrad fliegt über den Schulhof mit bunten Ballons und einer Katze und einem Hund"
	// One holds the slot, one waits before the browser: two other students,
	// since a student's second run would wait behind the browser's first
	// (docs/scheduling.md).
	for i := range 2 {
		if _, err := env.startRunAs(t, fmt.Sprintf("other-student-%d", i), api.RunRequest{Stages: "interception", Prompt: long, Interception: "dada", Lang: "de"}); err != nil {
			t.Fatal(err)
		}
	}
	p.typeInto(tid("prompt-input"), "Ein Baum")
	p.click(tid("transform-button"))
	p.waitJS(`document.querySelector("[data-testid=queue-status]").dataset.state === "waiting"`, 10*time.Second)
	pos := eval[string](p, q(tid("queue-status"))+".dataset.position")
	msg := p.text("#queue-msg")
	if pos != "2" || !strings.Contains(msg, "Du bist Nummer 2 in der Schlange") {
		t.Fatalf("queue: position %q, message %q", pos, msg)
	}
	if c := eval[string](p, `getComputedStyle(document.querySelector("#queue .spinner")).borderTopColor`); c != "rgb(179, 38, 30)" {
		t.Fatalf("the waiting spinner is %s, not red", c)
	}
	p.screenshot("07-queue", desktop, phone)
	p.click(tid("lang-toggle"))
	if msg := p.text("#queue-msg"); !strings.Contains(msg, "You are number") && !strings.Contains(msg, "You are next") {
		t.Fatalf("queue message after the switch: %q", msg)
	}
	p.waitJS(`document.querySelector("[data-testid=queue-status]").dataset.state === "acquired"`, 30*time.Second)
	if vis := eval[bool](p, `document.getElementById("queue-msg").getClientRects().length > 0 && document.getElementById("queue-msg").textContent !== ""`); vis {
		t.Fatal("the queue message stays after the slot was acquired")
	}
	p.waitJS(`!document.querySelector("[data-testid=transform-button]").disabled`, 30*time.Second)
	if p.value(tid("interception-text")) == "" {
		t.Fatal("no text after the queue")
	}
}

// TestBrowserResume reloads the page mid-stream and drops the connection
// mid-stream; both times the run continues without losing or repeating text.
func TestBrowserResume(t *testing.T) {
	env := newEnv(t, envOptions{sim: SimSettings{TokenDelay: 90 * time.Millisecond}})
	bctx := newBrowser(t)
	idea := "Ein Fahrrad fliegt über den Schulhof mit bunten Ballons und einer Katze und einem Hund im Regen"
	cases := []struct {
		name string
		cut  func(p *page)
	}{
		{"reload", func(p *page) { p.reload() }},
		{"dropped connection", func(p *page) { env.Server.CloseClientConnections() }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := openPage(t, bctx, env.Server.URL, laptop[0], laptop[1])
			p.t = t
			p.typeInto(tid("prompt-input"), idea)
			p.click(tid("transform-button"))
			p.waitJS(`document.querySelector("[data-testid=interception-text]").value.split(" ").length > 4`, 15*time.Second)
			partial := p.value(tid("interception-text"))
			tc.cut(p)
			p.waitJS(`!document.querySelector("[data-testid=transform-button]").disabled`, 30*time.Second)
			runID := eval[string](p, `JSON.parse(sessionStorage.getItem("ai4artsed.session")).interceptionRun`)
			rec, err := env.client("").Run(context.Background(), runID)
			if err != nil {
				t.Fatal(err)
			}
			var want string
			for _, r := range rec.Results {
				if r.Stage == api.StageInterception {
					want = r.Text
				}
			}
			if len(partial) >= len(want) {
				t.Fatalf("the %s came after the run had finished", tc.name)
			}
			got := p.value(tid("interception-text"))
			if got != want || !strings.HasPrefix(got, partial) {
				t.Fatalf("after the %s:\n got %q\nwant %q\n(before the cut %q)", tc.name, got, want, partial)
			}
			if p.value(tid("prompt-input")) != idea {
				t.Fatal("the idea was lost")
			}
		})
	}
}

// TestBrowserImageToImage uploads an image for an image-to-image output,
// generates from it, then uses the result as the next input.
func TestBrowserImageToImage(t *testing.T) {
	env := newEnv(t, envOptions{sim: SimSettings{StepDelay: 5 * time.Millisecond}})
	bctx := newBrowser(t)
	p := openPage(t, bctx, env.Server.URL, desktop[0], desktop[1])
	file := filepath.Join(t.TempDir(), "drawing.png")
	writeTestPNG(t, file)

	p.typeInto(tid("prompt-input"), "Ein Drache")
	p.click(`[data-testid=output-tile][data-config-id=sd35_img2img]`)
	p.waitJS(`!document.getElementById("upload").hidden`, 5*time.Second)
	if got := eval[string](p, q(tid("upload-input"))+`.accept`); got != "image/*" {
		t.Fatalf("upload accept = %q", got)
	}
	// Without an image the output asks for one, in place.
	p.click(tid("generate-button"))
	p.expectMessageNear("error-message", "upload-input", "Bild")
	p.do(chromedp.SetUploadFiles(chromedp.CSS(tid("upload-input")), []string{file}))
	p.waitJS(`document.querySelectorAll("#previews img").length === 1 && document.querySelector("#previews img").naturalWidth > 0`, 10*time.Second)
	p.screenshot("08-upload", desktop, phone)
	p.click(tid("generate-button"))
	p.waitJS(`document.querySelector("[data-testid=result-image]") && !document.querySelector("[data-testid=generate-button]").disabled`, 30*time.Second)
	if n := eval[int](p, `document.querySelectorAll("[data-testid=error-message]").length`); n != 0 {
		t.Fatalf("errors: %s", p.text(tid("error-message")))
	}
	first := eval[string](p, q(tid("result-image"))+".dataset.mediaId")

	// Use the result as input: it is uploaded and replaces the drawing.
	p.click(`#results .result-actions button:last-child`)
	p.waitJS(fmt.Sprintf(`document.querySelector("#previews img") && document.querySelector("#previews img").src.endsWith(%q)`, first), 10*time.Second)
	p.click(tid("generate-button"))
	p.waitJS(fmt.Sprintf(`document.querySelector("[data-testid=result-image]") && document.querySelector("[data-testid=result-image]").dataset.mediaId !== %q && !document.querySelector("[data-testid=generate-button]").disabled`, first), 30*time.Second)
}

// TestBrowserInsecureContext opens the page under a plain-HTTP host name, as
// at a school (http://school.test:PORT/), where secure-context-only APIs
// such as crypto.randomUUID are missing, and runs a transformation there.
func TestBrowserInsecureContext(t *testing.T) {
	env := newEnv(t, envOptions{mutate: func(s *Settings) { s.Language, s.Demo = "en", true }})
	bctx := newBrowser(t)
	p := openPage(t, bctx, schoolURL(t, env.Server.URL), phone[0], phone[1])
	if eval[bool](p, q("#demo-banner")+".hidden") {
		t.Fatal("the demo banner is hidden, but the server runs on simulators (--demo)")
	}
	if eval[bool](p, `window.isSecureContext`) {
		t.Fatal("the page is in a secure context; the test means a plain-HTTP school address")
	}
	if got := p.text(tid("transform-button")); got != "Transform" {
		t.Fatalf("with AI4ARTSED_LANGUAGE=en the button reads %q", got)
	}
	if id := eval[string](p, `localStorage.getItem("ai4artsed.client")`); !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(id) {
		t.Fatalf("client id %q", id)
	}
	p.typeInto(tid("prompt-input"), "A bicycle flies over the schoolyard")
	p.click(tid("transform-button"))
	p.waitJS(`!document.querySelector("[data-testid=transform-button]").disabled && document.querySelector("[data-testid=interception-text]").value !== ""`, 20*time.Second)
	if got := p.text("#status"); got != "Done!" {
		t.Fatalf("status %q", got)
	}
	// On a phone the idea box is near the top and the tiles scroll sideways.
	top := eval[float64](p, `(scrollTo(0, 0), document.querySelector("[data-testid=prompt-input]").getBoundingClientRect().top)`)
	if top > 250 {
		t.Fatalf("on a phone the idea box starts at %.0f px", top)
	}
	if !eval[bool](p, `(() => { const t = document.getElementById("tiles"); return t.scrollWidth > t.clientWidth && document.documentElement.scrollWidth <= innerWidth; })()`) {
		t.Fatal("on a phone the tiles do not scroll sideways, or the page does")
	}
	p.screenshot("09-phone-english", phone)
}

// writeTestPNG writes a small colourful PNG.
func writeTestPNG(t *testing.T, path string) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := range 48 {
		for x := range 64 {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), 160, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
