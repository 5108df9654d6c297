package export

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

// Size of the benchmark's class (docs/benchmarks.md, "Research export").
const (
	benchStudents      = 30
	benchImagesEach    = 10
	benchSide          = 1024
	benchNoise         = 4 // about 1.5 MB per 1024 px PNG, as generated images
	benchInterceptions = 10
)

// classOf30 stores a class of 30 students: each with 10 interception
// runs, 10 generation runs of one 1024×1024 PNG each and one blocked run;
// it returns the workshop and the total bytes of the images.
func classOf30(b *testing.B, f *fixture) (store.Workshop, int64) {
	devices := map[string]string{}
	for i := range benchStudents {
		devices[fmt.Sprintf("dev%02d", i)] = fmt.Sprintf("Schüler %d", i)
	}
	ws := f.workshop(b, "class", "ABCDEFG", devices)
	imgs := make([][]byte, benchStudents*benchImagesEach)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(imgs); i = int(next.Add(1)) - 1 {
				imgs[i] = noisePNG(b, benchSide, benchNoise, uint64(i+1))
			}
		})
	}
	wg.Wait()
	var total int64
	at := base
	tick := func() time.Time { at = at.Add(time.Second); return at }
	for s := range benchStudents {
		dev := fmt.Sprintf("dev%02d", s)
		for k := range benchInterceptions {
			id := fmt.Sprintf("i-%02d-%02d", s, k)
			f.run(b, id, dev, store.StateDone, tick(), `{"stages":"interception","prompt":"ein Haus am See, Variante `+strconv.Itoa(k)+`","interception":"dada","safety_level":"kids"}`,
				store.StageResult{Stage: 1, Name: "safety", Status: store.StageDone, Verdict: "safe", Detail: json.RawMessage(`{"level":"kids","verdict":"safe","texts":[{"field":"prompt","judge":{"model":"llama-guard3:1b"}}]}`)},
				store.StageResult{Stage: 2, Name: "interception", Status: store.StageDone, Model: "llama3.2:3b",
					Text: strings.Repeat("Ein Haus aus Wolken schwebt über dem See. ", 12), Detail: json.RawMessage(`{"interception":"dada","context":"Sei Dada."}`)})
		}
		for k := range benchImagesEach {
			id := fmt.Sprintf("g-%02d-%02d", s, k)
			seed := uint64(s*100 + k)
			f.run(b, id, dev, store.StateDone, tick(), `{"stages":"generation","text":"Ein Haus aus Wolken","interception":"dada","output":"sd35_large","safety_level":"kids"}`,
				store.StageResult{Stage: 3, Name: "optimization", Status: store.StageDone, Verdict: "safe", Model: "mistral",
					Text: "A house made of clouds above a lake, watercolor", Detail: json.RawMessage(`{"translation":"A house made of clouds","translated":true}`)},
				store.StageResult{Stage: 4, Name: "generation", Status: store.StageDone, Verdict: "safe", Model: "sd3.5_large",
					Text: "A house made of clouds above a lake, watercolor", Detail: json.RawMessage(`{"seed":` + strconv.FormatUint(seed, 10) + `,"loras":[]}`)})
			img := imgs[s*benchImagesEach+k]
			f.image(b, id, "m-"+id, img, seed, tick())
			total += int64(len(img))
		}
		f.run(b, fmt.Sprintf("b-%02d", s), dev, store.StateBlocked, tick(), `{"stages":"interception","prompt":"etwas Verbotenes"}`,
			store.StageResult{Stage: 1, Name: "safety", Status: store.StageDone, Verdict: "blocked"})
	}
	return ws, total
}

// BenchmarkExportClass streams the archive of a class of 30 with 300
// images over a loopback HTTP connection to a client that reads it and
// throws it away. Besides time per export it reports the archive's size,
// the largest heap in use while exporting (sampled every millisecond)
// above the heap before, and the process's peak resident memory while
// exporting (Linux: VmHWM after resetting it).
//
//	go test -run '^$' -bench ExportClass -benchtime 3x ./internal/export/
func BenchmarkExportClass(b *testing.B) {
	f := newFixture(b)
	ws, imgBytes := classOf30(b, f)
	e := New(f.db, f.files)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/zip")
		if _, err := e.Write(r.Context(), w, ws); err != nil {
			b.Error(err)
		}
	}))
	defer srv.Close()

	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heapBefore := ms.HeapInuse
	rssReset := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				runtime.ReadMemStats(&m)
				if m.HeapInuse > peak.Load() {
					peak.Store(m.HeapInuse)
				}
			}
		}
	}()
	var size int64
	for b.Loop() {
		resp, err := srv.Client().Get(srv.URL)
		if err != nil {
			b.Fatal(err)
		}
		size, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || size < imgBytes {
			b.Fatalf("export: %d, %d bytes of %d, %v", resp.StatusCode, size, imgBytes, err)
		}
	}
	close(stop)
	<-sampled
	b.SetBytes(size)
	b.ReportMetric(float64(size)/1e6, "archive-MB")
	b.ReportMetric(float64(imgBytes)/float64(benchStudents*benchImagesEach)/1e6, "MB/image")
	b.ReportMetric(float64(peak.Load()-min(peak.Load(), heapBefore))/(1<<20), "peak-heap-MiB-above-idle")
	b.ReportMetric(float64(heapBefore)/(1<<20), "idle-heap-MiB")
	if rss, ok := peakRSS(); ok && rssReset {
		b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MiB")
	}
}

// peakRSS reads VmHWM of this process (Linux).
func peakRSS() (uint64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}
