package main

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/ai4artsed/ai4artsed/api"
)

// BenchmarkSafetyLatency measures what the safety checks add to an all run
// of a typical German prompt against the simulators at their demo latency
// (150ms to the first token, 40ms a token): stage 1 as a whole, and in
// stage 3 the translation and the judge (the optimisation call was there
// before). Run:
//
//	go test -run '^$' -bench BenchmarkSafetyLatency -benchtime 5x ./cmd/ai4artsed
func BenchmarkSafetyLatency(b *testing.B) {
	for _, level := range []string{"youth", "kids"} {
		b.Run(level, func(b *testing.B) {
			env := newEnv(b, envOptions{sim: defaultSettings().Sim})
			var s1, s3, translate, judged, image float64
			for i := 0; b.Loop(); i++ {
				id := env.startRun(b, api.RunRequest{Stages: api.StagesAll, Interception: "dada", Lang: "de", SafetyLevel: level,
					// A fresh prompt each time: the judge's cache must not help.
					Prompt: "Ein Fuchs tanzt im Mondlicht auf einer Wiese, Bild " + string(rune('A'+i%26)) + string(rune('a'+i/26%26))})
				env.collect(b, id)
				run, err := env.client("").Run(context.Background(), id)
				if err != nil || run.State != api.StateDone {
					b.Fatalf("run %v %v", run, err)
				}
				for _, r := range run.Results {
					var d struct {
						TranslationMS int64 `json:"translation_ms"`
						Texts         []struct {
							Judge *struct{ MS int64 } `json:"judge"`
						} `json:"texts"`
						ImageCheck []struct {
							Judge struct{ MS int64 } `json:"judge"`
						} `json:"image_check"`
					}
					_ = json.Unmarshal(r.Detail, &d)
					switch r.Stage {
					case 1:
						s1 += float64(r.MS)
					case 3:
						s3 += float64(r.MS)
						translate += float64(d.TranslationMS)
						for _, tc := range d.Texts {
							if tc.Judge != nil {
								judged += float64(tc.Judge.MS)
							}
						}
					case 4:
						for _, ic := range d.ImageCheck {
							image += float64(ic.Judge.MS)
						}
					}
				}
			}
			n := float64(b.N)
			b.ReportMetric(s1/n, "stage1-ms")
			b.ReportMetric(s3/n, "stage3-ms")
			b.ReportMetric(translate/n, "s3-translate-ms")
			b.ReportMetric(judged/n, "s3-judge-ms")
			b.ReportMetric(image/n, "image-check-ms")
		})
	}
}
