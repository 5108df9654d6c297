package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

// Metrics is the server's Prometheus registry. It implements
// pipeline.Metrics.
type Metrics struct {
	reg      *prometheus.Registry
	wait     *prometheus.HistogramVec
	finished *prometheus.CounterVec
}

// QueueGauge is what the metrics read of a slot queue (*queue.Queue, or a
// queue shared by the replicas).
type QueueGauge interface {
	Waiting() int
	InUse() int
	Slots() int
}

// MetricsSources are read at scrape time.
type MetricsSources struct {
	// Queues reports the slot queue of each LLM backend or machine.
	Queues func() map[string]QueueGauge
	// ImageQueues reports the slot queue of each image machine.
	ImageQueues func() map[string]QueueGauge
	// Loaded reports the models loaded per machine (may be nil).
	Loaded      func() map[string][]string
	Subscribers func() int
	ActiveRuns  func() int
	Backends    BackendLister
}

// NewMetrics registers the collectors.
func NewMetrics(src MetricsSources) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		wait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ai4artsed_queue_wait_seconds",
			Help:    "Time LLM calls waited for a slot.",
			Buckets: []float64{0.01, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600},
		}, []string{"backend"}),
		finished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ai4artsed_runs_finished_total",
			Help: "Runs by final state.",
		}, []string{"state"}),
	}
	reg.MustRegister(m.wait, m.finished, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(&liveCollector{src: src})
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// QueueWait records how long an LLM call waited for its slot.
func (m *Metrics) QueueWait(backend string, waited time.Duration) {
	m.wait.WithLabelValues(backend).Observe(waited.Seconds())
}

// RunFinished counts a run's final state.
func (m *Metrics) RunFinished(state store.State) {
	m.finished.WithLabelValues(string(state)).Inc()
}

var (
	descQueueLen  = prometheus.NewDesc("ai4artsed_queue_length", "LLM calls waiting for a slot.", []string{"backend"}, nil)
	descSlotsUsed = prometheus.NewDesc("ai4artsed_llm_slots_in_use", "LLM slots in use.", []string{"backend"}, nil)
	descSlots     = prometheus.NewDesc("ai4artsed_llm_slots", "LLM slots per backend.", []string{"backend"}, nil)
	descImgQueue  = prometheus.NewDesc("ai4artsed_image_queue_length", "Generations waiting for a slot of an image machine.", []string{"machine"}, nil)
	descImgUsed   = prometheus.NewDesc("ai4artsed_image_slots_in_use", "Image machine slots in use.", []string{"machine"}, nil)
	descImgSlots  = prometheus.NewDesc("ai4artsed_image_slots", "Slots per image machine.", []string{"machine"}, nil)
	descSubs      = prometheus.NewDesc("ai4artsed_sse_subscribers", "Open SSE event streams.", nil, nil)
	descActive    = prometheus.NewDesc("ai4artsed_runs_active", "Runs not yet finished.", nil, nil)
	descBackend   = prometheus.NewDesc("ai4artsed_backend_up", "1 when a backend is up, by state.", []string{"backend", "state"}, nil)
	descLoaded    = prometheus.NewDesc("ai4artsed_machine_model_loaded", "1 for each model loaded on a machine (an image machine: its last queued checkpoint).", []string{"machine", "model"}, nil)
)

// liveCollector reads gauges from their sources at scrape time.
type liveCollector struct{ src MetricsSources }

func (c *liveCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descQueueLen, descSlotsUsed, descSlots, descImgQueue, descImgUsed, descImgSlots, descSubs, descActive, descBackend, descLoaded} {
		ch <- d
	}
}

func (c *liveCollector) Collect(ch chan<- prometheus.Metric) {
	if c.src.Queues != nil {
		for name, q := range c.src.Queues() {
			ch <- prometheus.MustNewConstMetric(descQueueLen, prometheus.GaugeValue, float64(q.Waiting()), name)
			ch <- prometheus.MustNewConstMetric(descSlotsUsed, prometheus.GaugeValue, float64(q.InUse()), name)
			ch <- prometheus.MustNewConstMetric(descSlots, prometheus.GaugeValue, float64(q.Slots()), name)
		}
	}
	if c.src.ImageQueues != nil {
		for name, q := range c.src.ImageQueues() {
			ch <- prometheus.MustNewConstMetric(descImgQueue, prometheus.GaugeValue, float64(q.Waiting()), name)
			ch <- prometheus.MustNewConstMetric(descImgUsed, prometheus.GaugeValue, float64(q.InUse()), name)
			ch <- prometheus.MustNewConstMetric(descImgSlots, prometheus.GaugeValue, float64(q.Slots()), name)
		}
	}
	if c.src.Loaded != nil {
		for machine, models := range c.src.Loaded() {
			for _, m := range models {
				ch <- prometheus.MustNewConstMetric(descLoaded, prometheus.GaugeValue, 1, machine, m)
			}
		}
	}
	if c.src.Subscribers != nil {
		ch <- prometheus.MustNewConstMetric(descSubs, prometheus.GaugeValue, float64(c.src.Subscribers()))
	}
	if c.src.ActiveRuns != nil {
		ch <- prometheus.MustNewConstMetric(descActive, prometheus.GaugeValue, float64(c.src.ActiveRuns()))
	}
	if c.src.Backends != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		for _, b := range c.src.Backends.Backends(ctx) {
			up := 0.0
			if b.State == "up" {
				up = 1
			}
			ch <- prometheus.MustNewConstMetric(descBackend, prometheus.GaugeValue, up, b.Name, b.State)
		}
	}
}
