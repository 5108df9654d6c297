package main

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ai4artsed/ai4artsed/internal/auth"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// openAdmin opens /admin.html in a fresh browser context and waits until
// admin.js has set the language.
func openAdmin(t *testing.T, bctx context.Context, base string) *page {
	t.Helper()
	p := openPage(t, bctx, base, desktop[0], desktop[1])
	p.do(chromedp.Navigate(base + "/admin.html"))
	p.waitJS(`document.title !== "" && document.querySelector("[data-testid=login-submit]").textContent !== ""`, 10*time.Second)
	return p
}

func (p *page) signIn(name, password string) {
	p.t.Helper()
	p.waitJS(`!document.getElementById("login-card").hidden`, 10*time.Second)
	p.typeInto("#name", name)
	p.typeInto("#password", password)
	p.click(tid("login-submit"))
}

// TestBrowserAdminSettings: an admin signs in on the admin page, raises
// the floor, disables a transformation and saves; the store has it, a
// reload shows it, the backends are listed, the page switches to English;
// a teacher signing in there is told the account is no admin's.
func TestBrowserAdminSettings(t *testing.T) {
	env := newEnv(t, envOptions{mutate: func(s *Settings) { s.PasswordParams = auth.Params{Time: 1, MemoryKiB: 64, Threads: 1} }})
	for name, role := range map[string]string{"root": store.RoleAdmin, "ana": store.RoleTeacher} {
		h, _ := auth.Hash(name+"'s long password", env.App.Settings.PasswordParams)
		if err := env.App.Store.CreateUser(context.Background(), store.User{Name: name, Role: role, PasswordHash: h}); err != nil {
			t.Fatal(err)
		}
	}
	bctx := newBrowser(t)
	p := openAdmin(t, bctx, env.Server.URL)
	if p.text("#settings-h") != "Voreinstellungen für alle Workshops" || !strings.Contains(eval[string](p, "document.title"), "Verwaltung") {
		t.Fatalf("German page: heading %q title %q", p.text("#settings-h"), eval[string](p, "document.title"))
	}
	p.signIn("root", "root's long password")
	p.waitJS(`document.querySelectorAll("[data-testid=admin-interceptions] input").length > 3`, 10*time.Second)
	if got := p.text(tid("admin-server-level")); got != "youth (13–17)" {
		t.Errorf("server level %q", got)
	}
	if opts := eval[[]string](p, `[...document.querySelectorAll("#floor option")].map((o) => o.value)`); !slices.Equal(opts, []string{"kids", "youth"}) {
		t.Errorf("floor options %v: only levels as strict as the server's", opts)
	}
	p.waitJS(`document.querySelectorAll("[data-testid=admin-backends] tbody tr").length > 0`, 10*time.Second)
	if n := eval[int](p, `document.querySelectorAll("[data-testid=admin-backends] tbody tr td").length`); n < 5 {
		t.Errorf("backends table has %d cells", n)
	}

	eval[bool](p, `(() => { const s = document.getElementById("floor"); s.value = "kids"; s.dispatchEvent(new Event("change")); return true; })()`)
	p.click(tid("admin-config-dada"))
	p.click(tid("admin-save"))
	p.waitJS(`document.querySelector("[data-testid=admin-msg]").textContent === "Gespeichert."`, 10*time.Second)
	st, err := env.App.Store.GetSettings(context.Background())
	if err != nil || st.SafetyFloor != "kids" || !slices.Equal(st.DisabledInterceptions, []string{"dada"}) || st.UpdatedBy != "root" {
		t.Fatalf("stored settings %+v %v", st, err)
	}
	if !strings.Contains(p.text(tid("admin-saved")), "root") {
		t.Errorf("saved note %q", p.text(tid("admin-saved")))
	}

	p.do(chromedp.Reload())
	p.waitJS(`document.querySelectorAll("[data-testid=admin-interceptions] input").length > 3`, 10*time.Second)
	if eval[bool](p, q(tid("admin-config-dada"))+".checked") || p.value("#floor") != "kids" {
		t.Error("after a reload the page does not show the saved settings")
	}
	p.click(tid("lang-toggle"))
	p.waitJS(`document.getElementById("settings-h").textContent === "Defaults for every workshop"`, 5*time.Second)
	if got := p.text(tid("admin-server-level")); got != "youth (13–17)" || !strings.Contains(p.text(tid("admin-saved")), "Last saved by root") {
		t.Errorf("English page: level %q saved %q", got, p.text(tid("admin-saved")))
	}
	if errs := eval[[]string](p, `window.__errors`); len(errs) > 0 {
		t.Errorf("page errors: %q", errs)
	}

	teacher := openAdmin(t, bctx, env.Server.URL)
	teacher.signIn("ana", "ana's long password")
	teacher.waitJS(`document.querySelector("[data-testid=admin-msg]").textContent !== ""`, 10*time.Second)
	if got := teacher.text(tid("admin-msg")); !strings.Contains(got, "kein Admin") || !eval[bool](teacher, `document.getElementById("settings-card").hidden`) {
		t.Errorf("teacher on the admin page: message %q", got)
	}
}

// TestBrowserTeacherExport: a teacher signs in on the teacher page, makes
// a workshop and follows its export link with the page's own cookie: a
// zip comes back; the same link from a browser that is not signed in is
// refused.
func TestBrowserTeacherExport(t *testing.T) {
	env := newEnv(t, envOptions{mutate: func(s *Settings) { s.PasswordParams = auth.Params{Time: 1, MemoryKiB: 64, Threads: 1} }})
	h, _ := auth.Hash("ana's long password", env.App.Settings.PasswordParams)
	if err := env.App.Store.CreateUser(context.Background(), store.User{Name: "ana", Role: store.RoleTeacher, PasswordHash: h}); err != nil {
		t.Fatal(err)
	}
	bctx := newBrowser(t)
	p := openPage(t, bctx, env.Server.URL, desktop[0], desktop[1])
	p.do(chromedp.Navigate(env.Server.URL + "/teacher.html"))
	p.signIn("ana", "ana's long password")
	p.waitJS(`!document.getElementById("ws-card").hidden`, 10*time.Second)
	p.typeInto("#ws-name", "Klasse 4a")
	p.click(tid("workshop-create"))
	p.waitJS(`document.querySelector("[data-testid=workshop-export]") !== null`, 10*time.Second)
	href := eval[string](p, q(tid("workshop-export"))+".href")
	fetchZip := `(async () => { const r = await fetch(%q); const b = new Uint8Array(await r.arrayBuffer());
		return [String(r.status), r.headers.get("Content-Type") || "", r.headers.get("Content-Disposition") || "", String.fromCharCode(b[0], b[1])]; })()`
	fetch := func(p *page) []string {
		t.Helper()
		ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
		defer cancel()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](strings.Replace(fetchZip, "%q", `"`+href+`"`, 1), chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("fetch %s: %v", href, err)
		}
		return v
	}
	got := fetch(p)
	if got[0] != "200" || got[1] != "application/zip" || !strings.HasPrefix(got[2], "attachment; filename=\"ai4artsed-") || got[3] != "PK" {
		t.Fatalf("export link %s: %q", href, got)
	}
	other := openPage(t, bctx, env.Server.URL, desktop[0], desktop[1])
	if got := fetch(other); got[0] != "401" {
		t.Errorf("export without a session: %q", got)
	}
}
