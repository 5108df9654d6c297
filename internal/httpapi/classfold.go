package httpapi

import (
	"encoding/json"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// classRunOf starts the class view's summary of a stored run: who made
// it, what it asked for and its state, before any of its events.
func classRunOf(c *store.ClassRun) *api.ClassRun {
	var in struct {
		Prompt       string `json:"prompt"`
		Text         string `json:"text"`
		Interception string `json:"interception"`
		Output       string `json:"output"`
	}
	_ = json.Unmarshal(c.Input, &in) // a run without input shows its state only
	prompt := in.Prompt
	if prompt == "" {
		prompt = in.Text
	}
	return &api.ClassRun{
		RunID: c.ID, Device: c.DeviceID, Nickname: c.Nickname, Stages: c.Stages,
		Interception: in.Interception, Output: in.Output, Prompt: prompt,
		State: api.RunState(c.State), Texts: []api.TextEvent{}, Verdicts: []api.SafetyEvent{}, Media: []api.MediaEvent{},
		CreatedAt: c.CreatedAt,
	}
}

// foldEvent applies one event of a run to its summary and reports whether
// the summary changed. Streamed text pieces (chunk) are left out: the
// stage's whole text follows as a text event.
func foldEvent(c *api.ClassRun, e store.Event) bool {
	if e.Type == string(api.EventChunk) {
		return false
	}
	p, err := api.Event{Type: api.EventType(e.Type), Data: e.Data}.Decode()
	if err != nil {
		return false // an event this server does not know: nothing to show
	}
	switch v := p.(type) {
	case api.RunEvent:
		c.State = v.State
	case api.StageEvent:
		c.Stage = &v
		if v.Status != api.StageStarted {
			c.Progress = nil
		}
	case api.QueueStatusEvent:
		if v.Status == api.QueueAcquired {
			c.Queue = nil
		} else {
			c.Queue = &v
		}
	case api.TextEvent:
		for i := range c.Texts {
			if c.Texts[i].Stage == v.Stage {
				c.Texts[i] = v
				return true
			}
		}
		c.Texts = append(c.Texts, v)
	case api.SafetyEvent:
		c.Verdicts = append(c.Verdicts, v)
	case api.ProgressEvent:
		c.Progress = &v
	case api.MediaEvent:
		c.Media = append(c.Media, v)
	case api.ErrorEvent:
		c.Error = &v
	case api.DoneEvent:
		c.State, c.MS = v.State, v.MS
		c.Queue, c.Progress = nil, nil
	default:
		return false
	}
	return true
}
