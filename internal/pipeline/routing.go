package pipeline

// Stage 4 with several image machines (Config.ImageMachines): each
// generation picks one machine when it asks for a slot and waits in that
// machine's queue. The pick minimises the estimated turns until the
// generation starts plus a switch penalty:
//
//	cost = turns + (SwitchTurns when the machine's last queued checkpoint differs)
//	turns = 0 when a slot is free and nobody waits, else ceil((waiting+1) / slots)
//
// so a machine that has the checkpoint loaded wins unless its line is
// longer by more than the penalty; ties go to fewer turns, then to the
// first machine in the list. The checkpoint counted as loaded is the one of
// the last generation sent to that machine's queue.

// machines lists the image machines of stage 4.
func (p *Pipeline) machines() []*Images {
	if len(p.cfg.ImageMachines) > 0 {
		return p.cfg.ImageMachines
	}
	if p.cfg.Images == nil {
		return nil
	}
	return []*Images{p.cfg.Images}
}

// route picks the image machine of a generation: pickMachine, or the
// pick seam a benchmark sets to compare another policy.
func (p *Pipeline) route(model string) *Images {
	if p.pick != nil {
		return p.pick(model)
	}
	return p.pickMachine(model)
}

// pickMachine chooses the image machine for a generation with model and
// records model as the checkpoint that machine will have loaded.
func (p *Pipeline) pickMachine(model string) *Images {
	ms := p.machines()
	best, bestCost, bestTurns := ms[0], -1, 0
	for _, m := range ms {
		q := p.ImageQueue(m.machine())
		turns := 0
		if w := q.Waiting(); w > 0 || q.InUse() >= q.Slots() {
			turns = (w + q.Slots()) / q.Slots()
		}
		cost := turns
		p.qmu.Lock()
		if last := p.checkpoints[m.machine()]; model != "" && last != model {
			cost += p.cfg.SwitchTurns
		}
		p.qmu.Unlock()
		if bestCost < 0 || cost < bestCost || cost == bestCost && turns < bestTurns {
			best, bestCost, bestTurns = m, cost, turns
		}
	}
	p.qmu.Lock()
	p.checkpoints[best.machine()] = model
	p.qmu.Unlock()
	return best
}
