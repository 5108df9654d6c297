package fault

// Text is a message in the two languages of the product.
type Text struct {
	De, En string
}

// Get returns the message in lang ("de" or "en"); German is the fallback.
func (t Text) Get(lang string) string {
	if lang == "en" && t.En != "" {
		return t.En
	}
	if t.De == "" {
		return t.En
	}
	return t.De
}

// T is shorthand for Text{De: de, En: en}.
func T(de, en string) Text { return Text{De: de, En: en} }
