package judge

import "github.com/ai4artsed/ai4artsed/internal/safety"

// categoryWords maps words a judge may use to our categories.
var categoryWords = map[string]safety.Category{
	"violence": safety.CategoryViolence, "violent": safety.CategoryViolence, "weapon": safety.CategoryViolence,
	"weapons": safety.CategoryViolence, "gewalt": safety.CategoryViolence, "waffen": safety.CategoryViolence,
	"sexual": safety.CategorySexual, "sexuell": safety.CategorySexual, "nudity": safety.CategorySexual, "nacktheit": safety.CategorySexual,
	"drugs": safety.CategoryDrugs, "drug": safety.CategoryDrugs, "drogen": safety.CategoryDrugs, "alcohol": safety.CategoryDrugs,
	"self_harm": safety.CategorySelfHarm, "suicide": safety.CategorySelfHarm, "selbstverletzung": safety.CategorySelfHarm,
	"horror":           safety.CategoryHorror,
	"forbidden_symbol": safety.CategoryForbidden, "extremism": safety.CategoryForbidden, "extremist": safety.CategoryForbidden,
	"hate": safety.CategoryOther, "hass": safety.CategoryOther,
	"personal_data": safety.CategoryPersonalData, "privacy": safety.CategoryPersonalData,
	"other": safety.CategoryOther, "sonstiges": safety.CategoryOther,
}

// guardCodes maps Llama Guard 3's hazard codes (S1..S14) to our categories.
var guardCodes = map[string]safety.Category{
	"s1":  safety.CategoryViolence,     // violent crimes
	"s2":  safety.CategoryOther,        // non-violent crimes
	"s3":  safety.CategorySexual,       // sex-related crimes
	"s4":  safety.CategorySexual,       // child sexual exploitation
	"s5":  safety.CategoryOther,        // defamation
	"s6":  safety.CategoryOther,        // specialized advice
	"s7":  safety.CategoryPersonalData, // privacy
	"s8":  safety.CategoryOther,        // intellectual property
	"s9":  safety.CategoryViolence,     // indiscriminate weapons
	"s10": safety.CategoryOther,        // hate
	"s11": safety.CategorySelfHarm,     // suicide and self-harm
	"s12": safety.CategorySexual,       // sexual content
	"s13": safety.CategoryOther,        // elections
	"s14": safety.CategoryOther,        // code interpreter abuse
}

// categoryIn returns the first category named among toks, "" if none.
func categoryIn(toks []string) safety.Category {
	for _, t := range toks {
		if c, ok := guardCodes[t]; ok {
			return c
		}
		if c, ok := categoryWords[t]; ok {
			return c
		}
	}
	return ""
}
