package export

import (
	"time"

	"github.com/ai4artsed/ai4artsed/internal/store"
)

// Manifest is export.json: which workshop, when, and what the archive holds.
type Manifest struct {
	Format        string    `json:"format"`
	ExportedAt    time.Time `json:"exported_at"`
	WorkshopID    string    `json:"workshop_id"`
	Name          string    `json:"name"`
	Owner         string    `json:"owner"`
	SafetyLevel   string    `json:"safety_level"`
	Interceptions []string  `json:"interceptions"`
	Outputs       []string  `json:"outputs"`
	StartsAt      time.Time `json:"starts_at"`
	EndsAt        time.Time `json:"ends_at"`
	Counts        Counts    `json:"counts"`
}

// FormatVersion names the layout of the archive.
const FormatVersion = "ai4artsed-export/1"

func manifest(ws store.Workshop, at time.Time, c Counts) Manifest {
	ic, out := ws.Interceptions, ws.Outputs
	if ic == nil {
		ic = []string{}
	}
	if out == nil {
		out = []string{}
	}
	return Manifest{Format: FormatVersion, ExportedAt: at, WorkshopID: ws.ID, Name: ws.Name, Owner: ws.Owner,
		SafetyLevel: ws.SafetyLevel, Interceptions: ic, Outputs: out, StartsAt: ws.StartsAt, EndsAt: ws.EndsAt, Counts: c}
}
