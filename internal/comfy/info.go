package comfy

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
)

// SystemStats is the answer of GET /system_stats.
type SystemStats struct {
	System struct {
		OS             string   `json:"os"`
		RAMTotal       int64    `json:"ram_total"`
		RAMFree        int64    `json:"ram_free"`
		ComfyUIVersion string   `json:"comfyui_version"`
		PythonVersion  string   `json:"python_version"`
		PytorchVersion string   `json:"pytorch_version"`
		EmbeddedPython bool     `json:"embedded_python"`
		Argv           []string `json:"argv"`
	} `json:"system"`
	Devices []struct {
		Name      string `json:"name"`
		Type      string `json:"type"`
		Index     int    `json:"index"`
		VRAMTotal int64  `json:"vram_total"`
		VRAMFree  int64  `json:"vram_free"`
	} `json:"devices"`
}

// SystemStats fetches /system_stats, the cheapest health check.
func (c *Client) SystemStats(ctx context.Context) (*SystemStats, error) {
	var st SystemStats
	if err := c.getJSON(ctx, "system stats", "system_stats", nil, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// InputSpec is one input of a node class in /object_info. Combos have
// Type "COMBO" and their choices in Options, in both the legacy form
// ([[choices...], {...}]) and the newer one (["COMBO", {"options": [...]}]).
type InputSpec struct {
	Type    string
	Options []string
	Config  map[string]any // the second element: default, min, max, ...
}

// UnmarshalJSON accepts ComfyUI's two-element input arrays.
func (in *InputSpec) UnmarshalJSON(b []byte) error {
	var parts []json.RawMessage
	if err := json.Unmarshal(b, &parts); err != nil || len(parts) == 0 {
		return fmt.Errorf("comfy: input spec: not a non-empty array")
	}
	if len(parts) > 1 {
		_ = json.Unmarshal(parts[1], &in.Config)
	}
	var typ string
	if json.Unmarshal(parts[0], &typ) == nil {
		in.Type = typ
		if typ == "COMBO" {
			var opts struct {
				Options []any `json:"options"`
			}
			_ = json.Unmarshal(parts[1%len(parts)], &opts)
			in.Options = textList(opts.Options)
		}
		return nil
	}
	var list []any
	if err := json.Unmarshal(parts[0], &list); err != nil {
		return fmt.Errorf("comfy: input spec: first element is neither a type nor a list")
	}
	in.Type, in.Options = "COMBO", textList(list)
	return nil
}

func textList(vals []any) []string {
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		if s, ok := v.(string); ok {
			out = append(out, s)
		} else {
			out = append(out, fmt.Sprint(v))
		}
	}
	return out
}

// NodeInfo is one node class in /object_info.
type NodeInfo struct {
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	Category    string `json:"category"`
	Input       struct {
		Required map[string]InputSpec `json:"required"`
		Optional map[string]InputSpec `json:"optional"`
	} `json:"input"`
	Output     []string `json:"output"`
	OutputName []string `json:"output_name"`
	OutputNode bool     `json:"output_node"`
}

// Options returns the combo choices of an input (required or optional).
func (n NodeInfo) Options(input string) []string {
	if in, ok := n.Input.Required[input]; ok {
		return in.Options
	}
	return n.Input.Optional[input].Options
}

// ObjectInfo fetches /object_info/{class}, or every class when class is "".
// An unknown class gives an empty map.
func (c *Client) ObjectInfo(ctx context.Context, class string) (map[string]NodeInfo, error) {
	route := "object_info"
	if class != "" {
		route += "/" + url.PathEscape(class)
	}
	var out map[string]NodeInfo
	if err := c.getJSON(ctx, "object info", route, nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Models lists the files a loader offers, e.g. Models(ctx, "LoraLoader",
// "lora_name") or Models(ctx, "CheckpointLoaderSimple", "ckpt_name").
func (c *Client) Models(ctx context.Context, class, input string) ([]string, error) {
	info, err := c.ObjectInfo(ctx, class)
	if err != nil {
		return nil, err
	}
	n, ok := info[class]
	if !ok {
		return nil, fmt.Errorf("comfy: models: node class %s not installed", class)
	}
	return n.Options(input), nil
}

// Queue lists the prompt ids running and pending (GET /queue).
func (c *Client) Queue(ctx context.Context) (running, pending []string, err error) {
	var q struct {
		Running [][]json.RawMessage `json:"queue_running"`
		Pending [][]json.RawMessage `json:"queue_pending"`
	}
	if err := c.getJSON(ctx, "queue", "queue", nil, &q); err != nil {
		return nil, nil, err
	}
	ids := func(items [][]json.RawMessage) []string {
		out := []string{}
		for _, it := range items {
			var id string
			if len(it) > 1 && json.Unmarshal(it[1], &id) == nil {
				out = append(out, id)
			}
		}
		return out
	}
	return ids(q.Running), ids(q.Pending), nil
}
