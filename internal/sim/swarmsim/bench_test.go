package swarmsim_test

import (
	"net/http/httptest"
	"testing"

	"github.com/ai4artsed/ai4artsed/internal/sim/swarmsim"
	"github.com/ai4artsed/ai4artsed/internal/swarm"
)

// BenchmarkGenerate512 measures one 512×512 generation through the client
// with no step delay: session, render, store, View download.
func BenchmarkGenerate512(b *testing.B) {
	sim := swarmsim.New(swarmsim.Options{})
	ts := httptest.NewServer(sim)
	defer ts.Close()
	defer sim.Close()
	c := swarm.New(ts.URL, ts.Client())
	req := swarm.T2IRequest{Prompt: "bench", Model: "sd3.5_large", Width: 512, Height: 512, Steps: 20, Seed: 1}
	for b.Loop() {
		if _, err := c.GenerateText2Image(b.Context(), req); err != nil {
			b.Fatal(err)
		}
	}
}
