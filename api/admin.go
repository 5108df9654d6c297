package api

import "time"

// AdminSettings is the answer of GET and PUT /api/admin/settings: the
// server-wide defaults for workshops.
type AdminSettings struct {
	// ServerSafetyLevel is the server's own level (AI4ARTSED_SAFETY_LEVEL);
	// no workshop and no floor may be looser.
	ServerSafetyLevel string `json:"server_safety_level"`
	// SafetyFloor is the loosest level a workshop may have: the stored
	// floor or, without one, the server's level.
	SafetyFloor string `json:"safety_floor"`
	// Interceptions and Outputs list every config with whether workshops
	// may use it.
	Interceptions []ConfigSwitch `json:"interceptions"`
	Outputs       []ConfigSwitch `json:"outputs"`
	// UpdatedBy and UpdatedAt say who saved the settings last; absent
	// before anyone did.
	UpdatedBy string     `json:"updated_by,omitempty"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

// ConfigSwitch is one config of AdminSettings.
type ConfigSwitch struct {
	ID      string `json:"id"`
	Name    Text   `json:"name"`
	Enabled bool   `json:"enabled"`
}

// AdminSettingsRequest is the body of PUT /api/admin/settings.
type AdminSettingsRequest struct {
	// SafetyFloor may be stricter than the server's level, never looser;
	// empty: the server's level.
	SafetyFloor string `json:"safety_floor,omitempty"`
	// DisabledInterceptions and DisabledOutputs are the config ids no
	// workshop may use; every other config is enabled.
	DisabledInterceptions []string `json:"disabled_interceptions"`
	DisabledOutputs       []string `json:"disabled_outputs"`
}
