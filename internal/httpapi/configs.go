package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/ai4artsed/ai4artsed/api"
	"github.com/ai4artsed/ai4artsed/internal/catalog"
	"github.com/ai4artsed/ai4artsed/internal/fault"
)

// listConfigs lists the configs, optionally of one kind (docs/api.md, "Configs").
func (s *Server) listConfigs(w http.ResponseWriter, r *http.Request) {
	kind := r.URL.Query().Get("kind")
	if kind != "" && kind != api.KindInterception && kind != api.KindOutput {
		s.fail(w, r, fault.Invalid("kind", `kind muss "interception" oder "output" sein.`, `kind must be "interception" or "output".`))
		return
	}
	out := api.ConfigList{Configs: []api.ConfigSummary{}}
	if kind == "" || kind == api.KindInterception {
		for _, c := range s.cfg.Catalog.Interceptions() {
			out.Configs = append(out.Configs, configSummary(c.Summary()))
		}
	}
	if kind == "" || kind == api.KindOutput {
		for _, c := range s.cfg.Catalog.Outputs() {
			out.Configs = append(out.Configs, configSummary(c.Summary()))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// getConfig answers one whole config, as the catalog holds it.
func (s *Server) getConfig(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var kind string
	var c any
	if ic, ok := s.cfg.Catalog.Interception(id); ok {
		kind, c = api.KindInterception, ic
	} else if oc, ok := s.cfg.Catalog.Output(id); ok {
		kind, c = api.KindOutput, oc
	} else {
		s.fail(w, r, fault.New(api.CodeUnknownConfig, "Diese Verwandlung gibt es nicht: "+quote(id), "No config with id "+quote(id)+"."))
		return
	}
	raw, err := json.Marshal(c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.ConfigDetail{Kind: kind, Config: raw})
}

// configSummary is a catalog summary as the API shows it.
func configSummary(c catalog.Summary) api.ConfigSummary {
	out := api.ConfigSummary{
		ID: c.ID, Kind: c.Kind, Name: api.Text(c.Name), Description: api.Text(c.Description),
		Category: api.Text(c.Category), Icon: c.Icon, Color: c.Color, Order: c.Order,
		Media: c.Media, MinAge: c.MinAge, LoRAs: []api.LoRA{},
	}
	for _, l := range c.LoRAs {
		out.LoRAs = append(out.LoRAs, api.LoRA(l))
	}
	return out
}
