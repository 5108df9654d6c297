package catalog

// Kinds of configs, as in Summary.Kind and GET /api/configs?kind=.
const (
	KindInterception = "interception"
	KindOutput       = "output"
)

// Summary is one entry of the config list (GET /api/configs).
type Summary struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"`
	Name        Text   `json:"name"`
	Description Text   `json:"description"`
	Category    Text   `json:"category"`
	Icon        string `json:"icon"`
	Color       string `json:"color"`
	Order       int    `json:"order"`
	Media       string `json:"media"`
	MinAge      int    `json:"min_age"`
	LoRAs       []LoRA `json:"loras"`
}

// nonNil returns l, or an empty list instead of nil so JSON shows [].
func nonNil(l []LoRA) []LoRA {
	if l == nil {
		return []LoRA{}
	}
	return l
}
