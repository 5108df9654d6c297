package httpapi

import (
	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/store"
)

// runView is a stored run as the API shows it (api.Run).
func runView(r *store.Run) api.Run {
	v := api.Run{
		RunID: r.ID, State: api.RunState(r.State), Stages: r.Stages, Lang: r.Lang, Input: r.Input,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, FinishedAt: r.FinishedAt,
		Results: []api.StageResult{}, Media: []api.Media{},
	}
	if r.ErrorCode != "" {
		v.Error = &api.ErrorDetail{Code: api.Code(r.ErrorCode), Message: r.ErrorMessage}
	}
	for _, st := range r.Stage {
		sr := api.StageResult{Stage: st.Stage, Name: st.Name, Status: st.Status, Text: st.Text, Verdict: st.Verdict,
			Model: st.Model, Backend: st.Backend, Detail: st.Detail, StartedAt: st.StartedAt, FinishedAt: st.FinishedAt}
		if st.FinishedAt != nil {
			sr.MS = st.FinishedAt.Sub(st.StartedAt).Milliseconds()
		}
		v.Results = append(v.Results, sr)
	}
	for _, m := range r.Media {
		v.Media = append(v.Media, mediaView(m))
	}
	return v
}

// mediaView is a stored output image as the API shows it.
func mediaView(m store.Media) api.Media {
	return api.Media{MediaID: m.ID, URL: "/api/media/" + m.ID, Mime: m.Mime, Size: m.Size, Width: m.Width, Height: m.Height, Seed: m.Seed}
}
