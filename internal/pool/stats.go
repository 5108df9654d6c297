package pool

import "time"

// alpha is the weight of a new measurement in the moving averages.
const alpha = 0.3

// key names an average: a machine and a model; "" stands for any.
type key struct{ machine, model string }

// stats are the moving averages of call and load times. Callers hold the
// pool's lock.
type stats struct {
	def          Defaults
	calls, loads map[key]float64 // seconds
}

func newStats(def Defaults) *stats {
	return &stats{def: def, calls: map[key]float64{}, loads: map[key]float64{}}
}

// call estimates one call of model on machine.
func (s *stats) call(machine, model string) time.Duration {
	return lookup(s.calls, machine, model, s.def.Call)
}

// load estimates loading model on machine.
func (s *stats) load(machine, model string) time.Duration {
	return lookup(s.loads, machine, model, s.def.Load)
}

// lookup takes the most specific average measured: this machine and
// model, then the model on any machine, then any model on any machine,
// then the default. (Not "any model on this machine": that would make a
// machine that measured one fast call look faster than a fresh one for
// every other model.)
func lookup(m map[key]float64, machine, model string, def time.Duration) time.Duration {
	for _, k := range []key{{machine, model}, {"", model}, {"", ""}} {
		if v, ok := m[k]; ok {
			return time.Duration(v * float64(time.Second))
		}
	}
	return def
}

func (s *stats) observeCall(machine, model string, d time.Duration) {
	observe(s.calls, machine, model, d)
}

func (s *stats) observeLoad(machine, model string, d time.Duration) {
	observe(s.loads, machine, model, d)
}

// observe feeds d into the three averages it belongs to; the first
// measurement of an average is taken as it is.
func observe(m map[key]float64, machine, model string, d time.Duration) {
	v := d.Seconds()
	for _, k := range []key{{machine, model}, {"", model}, {"", ""}} {
		if old, ok := m[k]; ok {
			m[k] = old + alpha*(v-old)
		} else {
			m[k] = v
		}
	}
}
