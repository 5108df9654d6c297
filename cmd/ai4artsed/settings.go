package main

import (
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/auth"
	"github.com/ai4artsed/ai4artsed/internal/httpapi"
	"github.com/ai4artsed/ai4artsed/internal/redact"
)

// Settings are the effective settings (README.md, "Settings"): flags override the
// environment, which overrides the defaults. They are read once, here.
type Settings struct {
	Addr        string
	DataDir     string
	DatabaseURL string
	ConfigDir   string
	SafetyLevel string
	Language    string
	LLMSlots    int
	ImageSlots  int // generations at once per image machine
	// Routing is how calls are spread over several machines
	// (AI4ARTSED_ROUTING: "models", the default, or "round-robin", the
	// benchmark's baseline; docs/backends.md).
	Routing string
	// HealthInterval is how often every LLM and image machine of a pool
	// is checked (AI4ARTSED_HEALTH_INTERVAL).
	HealthInterval time.Duration
	QueueMax       int
	MaxRunsClient  int
	AdminToken     string
	DefaultOutput  string
	// RequireWorkshop refuses runs of browsers that joined no workshop
	// (AI4ARTSED_REQUIRE_WORKSHOP).
	RequireWorkshop bool
	// PublicURL is the scheme and host students open, for join links and
	// their QR codes (AI4ARTSED_PUBLIC_URL); empty: the host each teacher's
	// request came to.
	PublicURL string
	// Retention is how long runs, events, media, uploads and devices are
	// kept (AI4ARTSED_RETENTION: "30d" or a Go duration; default 30 days).
	Retention time.Duration
	// MediaDir is where uploads and generated images are kept
	// (AI4ARTSED_MEDIA_DIR): empty means DataDir/media with SQLite and
	// the database with PostgreSQL (docs/deploy.md).
	MediaDir string
	// ShutdownGrace is how long runs in flight may take to finish after
	// SIGTERM before they are interrupted (AI4ARTSED_SHUTDOWN_GRACE).
	ShutdownGrace time.Duration
	// LogLevel is the least important level logged (AI4ARTSED_LOG_LEVEL:
	// debug, info, warn or error; the zero value is info).
	LogLevel slog.Level

	OllamaURL                                                           string
	OllamaTimeout                                                       time.Duration
	OllamaFirstTokenTimeout, OllamaIdleTimeout                          time.Duration
	OpenAIBaseURL                                                       string
	OpenAIAPIKey                                                        string
	ModelInterception, ModelSafety, ModelTranslation, ModelOptimization string
	// ModelVision is the image check's model (AI4ARTSED_MODEL_VISION).
	ModelVision string
	// JudgeTimeout bounds one call of the safety judge, the image check or
	// a suggestion once it runs (AI4ARTSED_JUDGE_TIMEOUT).
	JudgeTimeout time.Duration

	SwarmURL            string
	ComfyURL            string
	SwarmAutoStart      bool
	SwarmStartCommand   string
	SwarmStartupTimeout time.Duration
	SwarmHealthInterval time.Duration
	SwarmStopOnExit     bool
	GenerationTimeout   time.Duration
	// SwarmBackoff is the wait after a failed SwarmUI start before the next
	// attempt. It has no environment variable; zero takes the supervisor's
	// default (supervisor.DefaultBackoff). Tests shorten it.
	SwarmBackoff time.Duration
	// HTTPTimeouts bound slow HTTP clients. They have no environment
	// variables; zero fields take httpapi's defaults. Tests shorten them.
	HTTPTimeouts httpapi.Timeouts
	// PasswordParams is the argon2id cost of new password hashes. It has
	// no environment variable; tests lower it.
	PasswordParams auth.Params

	Demo bool
	Sim  SimSettings

	// getenv is the environment loadEnv read, kept for the API keys a
	// backends file names by variable (api_key_env); nil: none.
	getenv func(string) string
}

// secret reads the environment variable key that a backends file names
// for an API key.
func (s Settings) secret(key string) string {
	if s.getenv == nil {
		return ""
	}
	return strings.TrimSpace(s.getenv(key))
}

// SimSettings are the latency flags of the simulators (README.md, "Commands").
type SimSettings struct {
	FirstTokenDelay, TokenDelay, StepDelay, StartupDelay time.Duration
	// LoadDelay is the LLM model load time, MaxLoadedModels how many
	// models one simulated LLM machine holds (0: no limit);
	// CheckpointDelay is the image machine's cost of a checkpoint switch.
	LoadDelay, CheckpointDelay time.Duration
	MaxLoadedModels            int
	// Machines is how many LLM and how many image machines --demo
	// simulates (default 1 each).
	Machines int
}

// defaultSettings are the documented defaults.
func defaultSettings() Settings {
	return Settings{
		Addr: "127.0.0.1:17802", DataDir: "./data", SafetyLevel: "youth", Language: "de",
		LLMSlots: 3, ImageSlots: 1, Routing: "models", HealthInterval: 2 * time.Second, QueueMax: 500, MaxRunsClient: 3, DefaultOutput: "sd35_large",
		OllamaURL: "http://127.0.0.1:11434", OllamaTimeout: 300 * time.Second,
		OllamaFirstTokenTimeout: 120 * time.Second, OllamaIdleTimeout: 60 * time.Second,
		ModelInterception: "ollama/llama3.1:8b", ModelSafety: "ollama/llama-guard3:1b",
		ModelTranslation: "ollama/llama3.1:8b", ModelOptimization: "ollama/llama3.1:8b",
		ModelVision: "ollama/qwen2.5vl:3b", JudgeTimeout: 30 * time.Second,
		SwarmURL: "http://127.0.0.1:7801", ComfyURL: "http://127.0.0.1:7821",
		SwarmAutoStart: true, SwarmStartupTimeout: 120 * time.Second, SwarmHealthInterval: 2 * time.Second,
		GenerationTimeout: 10 * time.Minute, PasswordParams: auth.DefaultParams(), Retention: 30 * 24 * time.Hour,
		ShutdownGrace: 60 * time.Second,
		Sim:           SimSettings{FirstTokenDelay: 150 * time.Millisecond, TokenDelay: 40 * time.Millisecond, StepDelay: 60 * time.Millisecond, Machines: 1},
	}
}

// loadEnv applies environment variables (getenv is os.Getenv outside tests).
func (s *Settings) loadEnv(getenv func(string) string) error {
	s.getenv = getenv
	var errs []string
	str := func(key string, dst *string) {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			*dst = v
		}
	}
	num := func(key string, dst *int) {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				errs = append(errs, fmt.Sprintf("%s=%q: want a positive whole number", key, v))
				return
			}
			*dst = n
		}
	}
	boolean := func(key string, dst *bool) {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				errs = append(errs, fmt.Sprintf("%s=%q: want true or false", key, v))
				return
			}
			*dst = b
		}
	}
	// dur reads a Go duration, or a plain number of seconds ("120", "2.0").
	dur := func(key string, dst *time.Duration) {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			d, err := parseSeconds(v)
			if err != nil {
				errs = append(errs, fmt.Sprintf("%s=%q: %v", key, v, err))
				return
			}
			*dst = d
		}
	}
	str("AI4ARTSED_ADDR", &s.Addr)
	str("AI4ARTSED_DATA_DIR", &s.DataDir)
	str("AI4ARTSED_DATABASE_URL", &s.DatabaseURL)
	str("AI4ARTSED_MEDIA_DIR", &s.MediaDir)
	dur("AI4ARTSED_SHUTDOWN_GRACE", &s.ShutdownGrace)
	str("AI4ARTSED_CONFIG_DIR", &s.ConfigDir)
	str("AI4ARTSED_SAFETY_LEVEL", &s.SafetyLevel)
	str("AI4ARTSED_LANGUAGE", &s.Language)
	num("AI4ARTSED_LLM_SLOTS", &s.LLMSlots)
	num("AI4ARTSED_IMAGE_SLOTS", &s.ImageSlots)
	str("AI4ARTSED_ROUTING", &s.Routing)
	dur("AI4ARTSED_HEALTH_INTERVAL", &s.HealthInterval)
	num("AI4ARTSED_QUEUE_MAX", &s.QueueMax)
	num("AI4ARTSED_MAX_RUNS_PER_CLIENT", &s.MaxRunsClient)
	str("AI4ARTSED_ADMIN_TOKEN", &s.AdminToken)
	str("AI4ARTSED_DEFAULT_OUTPUT", &s.DefaultOutput)
	boolean("AI4ARTSED_REQUIRE_WORKSHOP", &s.RequireWorkshop)
	str("AI4ARTSED_PUBLIC_URL", &s.PublicURL)
	if v := strings.TrimSpace(getenv("AI4ARTSED_LOG_LEVEL")); v != "" {
		if err := s.LogLevel.UnmarshalText([]byte(v)); err != nil {
			errs = append(errs, fmt.Sprintf("AI4ARTSED_LOG_LEVEL=%q: want debug, info, warn or error", v))
		}
	}
	if v := strings.TrimSpace(getenv("AI4ARTSED_RETENTION")); v != "" {
		d, err := parseRetention(v)
		if err != nil {
			errs = append(errs, fmt.Sprintf("AI4ARTSED_RETENTION=%q: %v", v, err))
		} else {
			s.Retention = d
		}
	}
	str("OLLAMA_URL", &s.OllamaURL)
	dur("OLLAMA_TIMEOUT", &s.OllamaTimeout)
	dur("OLLAMA_FIRST_TOKEN_TIMEOUT", &s.OllamaFirstTokenTimeout)
	dur("OLLAMA_IDLE_TIMEOUT", &s.OllamaIdleTimeout)
	str("OPENAI_BASE_URL", &s.OpenAIBaseURL)
	str("OPENAI_API_KEY", &s.OpenAIAPIKey)
	str("AI4ARTSED_MODEL_INTERCEPTION", &s.ModelInterception)
	str("AI4ARTSED_MODEL_SAFETY", &s.ModelSafety)
	str("AI4ARTSED_MODEL_TRANSLATION", &s.ModelTranslation)
	str("AI4ARTSED_MODEL_OPTIMIZATION", &s.ModelOptimization)
	str("AI4ARTSED_MODEL_VISION", &s.ModelVision)
	dur("AI4ARTSED_JUDGE_TIMEOUT", &s.JudgeTimeout)
	str("SWARMUI_URL", &s.SwarmURL)
	str("COMFYUI_URL", &s.ComfyURL)
	boolean("SWARMUI_AUTO_START", &s.SwarmAutoStart)
	str("SWARMUI_START_COMMAND", &s.SwarmStartCommand)
	dur("SWARMUI_STARTUP_TIMEOUT", &s.SwarmStartupTimeout)
	dur("SWARMUI_HEALTH_CHECK_INTERVAL", &s.SwarmHealthInterval)
	boolean("SWARMUI_STOP_ON_EXIT", &s.SwarmStopOnExit)
	dur("AI4ARTSED_GENERATION_TIMEOUT", &s.GenerationTimeout)
	if len(errs) > 0 {
		return fmt.Errorf("settings: %s", strings.Join(errs, "; "))
	}
	return nil
}

// validate checks values that flags and the environment cannot type-check.
func (s *Settings) validate() error {
	switch s.SafetyLevel {
	case "kids", "youth", "adult", "research":
	default:
		return fmt.Errorf("settings: AI4ARTSED_SAFETY_LEVEL=%q: want kids, youth, adult or research", s.SafetyLevel)
	}
	if s.JudgeTimeout <= 0 {
		return fmt.Errorf("settings: AI4ARTSED_JUDGE_TIMEOUT=%s: want a positive duration", s.JudgeTimeout)
	}
	if s.Language != "de" && s.Language != "en" {
		return fmt.Errorf("settings: AI4ARTSED_LANGUAGE=%q: want de or en", s.Language)
	}
	for key, list := range map[string]string{"OLLAMA_URL": s.OllamaURL, "SWARMUI_URL": s.SwarmURL, "COMFYUI_URL": s.ComfyURL} {
		for _, u := range splitList(list) {
			if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
				return fmt.Errorf("settings: %s=%q: want an http(s) URL", key, redact.URL(u))
			}
		}
	}
	if s.Routing != "models" && s.Routing != "round-robin" {
		return fmt.Errorf("settings: AI4ARTSED_ROUTING=%q: want models or round-robin", s.Routing)
	}
	if s.HealthInterval < 100*time.Millisecond {
		return fmt.Errorf("settings: AI4ARTSED_HEALTH_INTERVAL=%s: want at least 100ms", s.HealthInterval)
	}
	if sw, cf := len(splitList(s.SwarmURL)), len(splitList(s.ComfyURL)); sw != cf {
		return fmt.Errorf("settings: SWARMUI_URL lists %d machines and COMFYUI_URL %d: give each SwarmUI its ComfyUI, in the same order", sw, cf)
	}
	if s.PublicURL != "" {
		p, err := url.Parse(s.PublicURL)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.User != nil ||
			strings.Trim(p.Path, "/") != "" || p.RawQuery != "" || p.Fragment != "" {
			return fmt.Errorf("settings: AI4ARTSED_PUBLIC_URL=%q: want http(s)://host[:port] without a path", redact.URL(s.PublicURL))
		}
	}
	if s.DatabaseURL != "" && !strings.HasPrefix(s.DatabaseURL, "postgres://") && !strings.HasPrefix(s.DatabaseURL, "postgresql://") {
		return fmt.Errorf("settings: AI4ARTSED_DATABASE_URL: want a postgres:// URL or nothing")
	}
	return nil
}

// mediaWhere says where uploads and images are kept, for the log.
func (s Settings) mediaWhere() string {
	switch {
	case s.MediaDir != "":
		return s.MediaDir
	case s.DatabaseURL != "":
		return "database"
	}
	return filepath.Join(s.DataDir, "media")
}

func parseSeconds(v string) (time.Duration, error) {
	if d, err := time.ParseDuration(v); err == nil {
		return d, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("want seconds (e.g. 120) or a Go duration (e.g. 2m)")
	}
	return time.Duration(f * float64(time.Second)), nil
}

// simFlags registers the latency flags on fs.
func simFlags(fs *flag.FlagSet, s *SimSettings) {
	fs.DurationVar(&s.FirstTokenDelay, "first-token-delay", s.FirstTokenDelay, "simulated LLM time to first token")
	fs.DurationVar(&s.TokenDelay, "token-delay", s.TokenDelay, "simulated LLM time per token")
	fs.DurationVar(&s.StepDelay, "step-delay", s.StepDelay, "simulated time per sampler step")
	fs.DurationVar(&s.StartupDelay, "startup-delay", s.StartupDelay, "time before the simulators answer health checks")
	fs.DurationVar(&s.LoadDelay, "load-delay", s.LoadDelay, "simulated LLM model load time when the model is not loaded")
	fs.IntVar(&s.MaxLoadedModels, "max-loaded-models", s.MaxLoadedModels, "LLM models loaded at once per simulated machine (least recently used evicted); 0 = no limit")
	fs.IntVar(&s.Machines, "machines", s.Machines, "--demo: machines to simulate of each kind: Ollamas, and SwarmUIs each with its ComfyUI")
	fs.DurationVar(&s.CheckpointDelay, "checkpoint-delay", s.CheckpointDelay, "simulated image machine time to switch checkpoints")
}

// logAttrs lists the effective settings with secrets, and the user info of
// every URL, redacted.
func (s Settings) logAttrs() []any {
	return []any{
		"addr", s.Addr, "data_dir", s.DataDir, "database", redact.URL(s.DatabaseURL), "media", s.mediaWhere(), "config_dir", s.ConfigDir,
		"shutdown_grace", s.ShutdownGrace,
		"safety_level", s.SafetyLevel, "language", s.Language, "llm_slots", s.LLMSlots, "image_slots", s.ImageSlots, "routing", s.Routing, "health_interval", s.HealthInterval, "queue_max", s.QueueMax,
		"max_runs_per_client", s.MaxRunsClient, "admin_token", redactSecret(s.AdminToken), "require_workshop", s.RequireWorkshop, "public_url", s.PublicURL, "retention", s.Retention,
		"ollama_url", redactList(s.OllamaURL), "ollama_timeout", s.OllamaTimeout, "ollama_first_token_timeout", s.OllamaFirstTokenTimeout, "ollama_idle_timeout", s.OllamaIdleTimeout,
		"openai_base_url", redact.URL(s.OpenAIBaseURL),
		"openai_api_key", redactSecret(s.OpenAIAPIKey), "model_interception", s.ModelInterception,
		"model_safety", s.ModelSafety, "model_translation", s.ModelTranslation, "model_optimization", s.ModelOptimization,
		"model_vision", s.ModelVision, "judge_timeout", s.JudgeTimeout,
		"swarmui_url", redactList(s.SwarmURL), "comfyui_url", redactList(s.ComfyURL), "swarmui_auto_start", s.SwarmAutoStart,
		"swarmui_start_command", s.SwarmStartCommand != "", "swarmui_startup_timeout", s.SwarmStartupTimeout,
		"swarmui_health_check_interval", s.SwarmHealthInterval, "swarmui_stop_on_exit", s.SwarmStopOnExit, "generation_timeout", s.GenerationTimeout, "demo", s.Demo,
	}
}

func redactSecret(secret string) string {
	if secret == "" {
		return ""
	}
	return "[set, redacted]"
}

// splitList splits a comma-separated setting into its trimmed, non-empty
// parts: several image machines are given as SWARMUI_URL=a,b.
func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	if out == nil {
		out = []string{v}
	}
	return out
}

// redactList redacts each URL of a comma-separated list.
func redactList(v string) string {
	parts := splitList(v)
	for i, p := range parts {
		parts[i] = redact.URL(p)
	}
	return strings.Join(parts, ",")
}

// parseRetention reads a number of days ("30d") or a Go duration of at
// least an hour.
func parseRetention(v string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(v, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 1 || days > 3650 {
			return 0, fmt.Errorf("want days from 1 to 3650, like 30d")
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < time.Hour {
		return 0, fmt.Errorf("want days (30d) or a duration of at least 1h")
	}
	return d, nil
}
