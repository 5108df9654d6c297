package httpapi

import (
	"encoding/json"
	"time"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

type runJSON struct {
	ID         string           `json:"run_id"`
	State      string           `json:"state"`
	Stages     string           `json:"stages"`
	Lang       string           `json:"lang"`
	Input      json.RawMessage  `json:"input"`
	Error      *api.ErrorDetail `json:"error,omitempty"`
	CreatedAt  time.Time        `json:"created_at"`
	UpdatedAt  time.Time        `json:"updated_at"`
	FinishedAt *time.Time       `json:"finished_at,omitempty"`
	Results    []stageJSON      `json:"results"`
	Media      []mediaJSON      `json:"media"`
}

type stageJSON struct {
	Stage      int             `json:"stage"`
	Name       string          `json:"name"`
	Status     string          `json:"status"`
	Text       string          `json:"text,omitempty"`
	Verdict    string          `json:"verdict,omitempty"`
	Model      string          `json:"model,omitempty"`
	Backend    string          `json:"backend,omitempty"`
	Detail     json.RawMessage `json:"detail,omitempty"`
	StartedAt  time.Time       `json:"started_at"`
	FinishedAt *time.Time      `json:"finished_at,omitempty"`
	MS         int64           `json:"ms,omitempty"`
}

type mediaJSON struct {
	ID     string `json:"media_id"`
	URL    string `json:"url"`
	Mime   string `json:"mime"`
	Size   int64  `json:"size"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Seed   uint64 `json:"seed"`
}

func runView(r *store.Run) runJSON {
	v := runJSON{
		ID: r.ID, State: string(r.State), Stages: r.Stages, Lang: r.Lang, Input: r.Input,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, FinishedAt: r.FinishedAt,
		Results: []stageJSON{}, Media: []mediaJSON{},
	}
	if r.ErrorCode != "" {
		v.Error = &api.ErrorDetail{Code: api.Code(r.ErrorCode), Message: r.ErrorMessage}
	}
	for _, st := range r.Stage {
		sj := stageJSON{Stage: st.Stage, Name: st.Name, Status: st.Status, Text: st.Text, Verdict: st.Verdict,
			Model: st.Model, Backend: st.Backend, Detail: st.Detail, StartedAt: st.StartedAt, FinishedAt: st.FinishedAt}
		if st.FinishedAt != nil {
			sj.MS = st.FinishedAt.Sub(st.StartedAt).Milliseconds()
		}
		v.Results = append(v.Results, sj)
	}
	for _, m := range r.Media {
		v.Media = append(v.Media, mediaView(m))
	}
	return v
}

func mediaView(m store.Media) mediaJSON {
	return mediaJSON{ID: m.ID, URL: "/api/media/" + m.ID, Mime: m.Mime, Size: m.Size, Width: m.Width, Height: m.Height, Seed: m.Seed}
}
