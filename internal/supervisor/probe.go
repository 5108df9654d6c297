package supervisor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/ai4artsed/ai4artsed/internal/redact"
)

// maxProbeBody bounds how much of a health answer is read.
const maxProbeBody = 1 << 20

// probeResult is the outcome of probing both backends once.
type probeResult struct {
	at           time.Time
	swarm, comfy error // nil when that backend answered correctly
}

func (r probeResult) ok() bool { return r.swarm == nil && r.comfy == nil }

// detail names what failed, for Status.Detail and error messages.
func (r probeResult) detail() string {
	var parts []string
	if r.swarm != nil {
		parts = append(parts, "SwarmUI: "+r.swarm.Error())
	}
	if r.comfy != nil {
		parts = append(parts, "ComfyUI: "+r.comfy.Error())
	}
	if len(parts) == 0 {
		return "SwarmUI and ComfyUI answer"
	}
	return strings.Join(parts, "; ")
}

// probe checks SwarmUI and ComfyUI concurrently, each with its own timeout.
func (s *Supervisor) probe(ctx context.Context) probeResult {
	var r probeResult
	var wg sync.WaitGroup
	wg.Go(func() { r.swarm = s.probeSwarm(ctx) })
	wg.Go(func() { r.comfy = s.probeComfy(ctx) })
	wg.Wait()
	r.at = time.Now()
	return r
}

// probeSwarm asks SwarmUI for a new session: POST /API/GetNewSession with
// body {} must answer 200 with a JSON session_id. A machine without
// SwarmUI (Config.SwarmURL empty: a standalone ComfyUI) passes.
func (s *Supervisor) probeSwarm(ctx context.Context) error {
	if s.cfg.SwarmURL == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ProbeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		s.cfg.SwarmURL+"/API/GetNewSession", bytes.NewReader([]byte("{}")))
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	var body struct {
		SessionID string `json:"session_id"`
		Error     string `json:"error"`
	}
	if err := s.getJSON(req, &body); err != nil {
		return err
	}
	if body.Error != "" {
		return fmt.Errorf("GetNewSession: %s", body.Error)
	}
	if body.SessionID == "" {
		return errors.New("GetNewSession: answer has no session_id")
	}
	return nil
}

// probeComfy asks ComfyUI for GET /system_stats, which must be a JSON object.
func (s *Supervisor) probeComfy(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ProbeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.cfg.ComfyURL+"/system_stats", nil)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	var body map[string]json.RawMessage
	if err := s.getJSON(req, &body); err != nil {
		return err
	}
	if body == nil {
		return errors.New("system_stats: answer is not a JSON object")
	}
	return nil
}

// getJSON sends req and decodes a 200 JSON answer into v.
func (s *Supervisor) getJSON(req *http.Request, v any) error {
	// Messages name the request without the URL's credentials.
	where := req.Method + " " + redact.URL(req.URL.String())
	resp, err := s.client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("no answer within %s (%s)", s.cfg.ProbeTimeout, where)
		}
		// net/http hides only the password; the user name may be a token.
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = redact.URL(ue.URL)
		}
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxProbeBody))
	if err != nil {
		return fmt.Errorf("%s: read answer: %w", where, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d: %s", where, resp.StatusCode, snippet(data))
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: answer is not the expected JSON: %s", where, snippet(data))
	}
	return nil
}

// snippet shortens a body for an error message.
func snippet(b []byte) string {
	const limit = 120
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > limit {
		s = s[:limit] + "..."
	}
	if s == "" {
		s = "(empty body)"
	}
	return s
}

// listening returns the host:port of each backend URL that accepts TCP
// connections, dialling each with the probe timeout.
func (s *Supervisor) listening(ctx context.Context) []string {
	var open []string
	for _, raw := range []string{s.cfg.SwarmURL, s.cfg.ComfyURL} {
		addr, err := hostPort(raw)
		if err != nil {
			continue
		}
		dctx, cancel := context.WithTimeout(ctx, s.cfg.ProbeTimeout)
		var d net.Dialer
		conn, err := d.DialContext(dctx, "tcp", addr)
		cancel()
		if err == nil {
			conn.Close()
			open = append(open, addr)
		}
	}
	return open
}

// hostPort extracts host:port from a base URL, defaulting the port by scheme.
func hostPort(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	if u.Host == "" {
		return "", fmt.Errorf("no host in %q", raw)
	}
	if u.Port() != "" {
		return u.Host, nil
	}
	port := "80"
	if u.Scheme == "https" {
		port = "443"
	}
	return net.JoinHostPort(u.Hostname(), port), nil
}
