package api

import "time"

// WorkshopLimits cap what the students of a workshop may do; 0 is no cap
// of the workshop's own (the server's limits still apply).
type WorkshopLimits struct {
	// RunsAtOnce is the most unfinished runs per student device.
	RunsAtOnce int `json:"runs_at_once"`
	// RunsPerHour is the most runs per student device in any hour.
	RunsPerHour int `json:"runs_per_hour"`
	// GenerationsPerHour is the most runs with an image per workshop in any hour.
	GenerationsPerHour int `json:"generations_per_hour"`
	// MaxDevices is the most student devices that may join.
	MaxDevices int `json:"max_devices"`
}

// WorkshopRequest is the body of POST /api/teacher/workshops and of PUT
// /api/teacher/workshops/{id}.
type WorkshopRequest struct {
	Name string `json:"name"`
	// SafetyLevel is never looser than the server's; empty: the server's.
	SafetyLevel string `json:"safety_level,omitempty"`
	// Interceptions and Outputs are the allowed config ids; empty: all.
	Interceptions []string       `json:"interceptions,omitempty"`
	Outputs       []string       `json:"outputs,omitempty"`
	Limits        WorkshopLimits `json:"limits"`
	// StartsAt and EndsAt bound when students may join and run; zero:
	// now and 8 hours later.
	StartsAt time.Time `json:"starts_at,omitzero"`
	EndsAt   time.Time `json:"ends_at,omitzero"`
}

// Workshop is a teacher's workshop as the teacher routes answer it.
type Workshop struct {
	ID string `json:"id"`
	// Code is the join code students type: 7 characters without look-alikes.
	Code string `json:"code"`
	// JoinURL is the page students open, with the code filled in.
	JoinURL       string         `json:"join_url"`
	Owner         string         `json:"owner"`
	Name          string         `json:"name"`
	SafetyLevel   string         `json:"safety_level"`
	Interceptions []string       `json:"interceptions"`
	Outputs       []string       `json:"outputs"`
	Limits        WorkshopLimits `json:"limits"`
	StartsAt      time.Time      `json:"starts_at"`
	EndsAt        time.Time      `json:"ends_at"`
	Paused        bool           `json:"paused"`
	// PauseMessage is what the students see while the workshop is paused.
	PauseMessage string    `json:"pause_message"`
	CreatedAt    time.Time `json:"created_at"`
}

// WorkshopList is the answer of GET /api/teacher/workshops.
type WorkshopList struct {
	Workshops []Workshop `json:"workshops"`
}

// JoinRequest is the body of POST /api/join.
type JoinRequest struct {
	Code string `json:"code"`
	// Nickname is what the class sees; not a real name.
	Nickname string `json:"nickname"`
}

// Joined is the answer of POST /api/join; the device cookie comes with it.
type Joined struct {
	Workshop string    `json:"workshop"`
	Nickname string    `json:"nickname"`
	EndsAt   time.Time `json:"ends_at"`
}

// DeviceCookie is the name of a student device's signed cookie.
const DeviceCookie = "ai4artsed_device"
