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
	// unsplit are calls with a load measured before any call of their
	// machine and model: the load and the work in one duration, split
	// once a call without a load is measured.
	unsplit map[key]time.Duration
}

func newStats(def Defaults) *stats {
	return &stats{def: def, calls: map[key]float64{}, loads: map[key]float64{}, unsplit: map[key]time.Duration{}}
}

// call estimates one call of model on machine.
func (s *stats) call(machine, model string) time.Duration {
	return lookup(s.calls, machine, model, s.def.Call)
}

// measured reports whether a call of model has been measured on any
// machine: its estimate is no default.
func (s *stats) measured(model string) bool {
	_, ok := s.calls[key{"", model}]
	return ok
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
	k := key{machine, model}
	if u, ok := s.unsplit[k]; ok {
		delete(s.unsplit, k)
		observe(s.loads, machine, model, max(u-d, 0))
	}
}

// observeLoaded measures a call of d that loaded its model, without a
// load time reported: the load is d less the estimated work, once any
// call has been measured. The first calls of a pool (on an idle pool each
// loads its model) have none yet: subtracting
// the default would make a slow load look free, so the duration waits
// for the first call without a load (observeCall), or for a second such
// duration, when it is split by the defaults' ratio.
func (s *stats) observeLoaded(machine, model string, d time.Duration) {
	k := key{machine, model}
	_, measured := s.calls[key{"", ""}] // any call measured: the estimate is no default
	switch u, waiting := s.unsplit[k]; {
	case measured:
		observe(s.loads, machine, model, max(d-s.call(machine, model), 0))
	case !waiting:
		s.unsplit[k] = d
	default:
		delete(s.unsplit, k)
		for _, t := range []time.Duration{u, d} {
			load := time.Duration(float64(t) * float64(s.def.Load) / float64(s.def.Load+s.def.Call))
			observe(s.loads, machine, model, load)
			observe(s.calls, machine, model, t-load)
		}
	}
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
