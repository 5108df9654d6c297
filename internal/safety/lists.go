package safety

import "fmt"

// List ids: the values of Hit.List and the names of the list files in the
// catalog's safety/ folder (ID + ".json").
const (
	ListForbidden    = "86a"
	ListPersonalData = "personal_data"
	ListKids         = "kids"
	ListYouth        = "youth"
	ListAllow        = "allow"
)

// Check names in Result.Checks, one per list consulted.
const (
	CheckForbidden    = "filter_86a"
	CheckPersonalData = "filter_personal_data"
	CheckKids         = "filter_kids"
	CheckYouth        = "filter_youth"
)

// Term is one entry of a term list as written in its JSON file.
type Term struct {
	// Term is a word or phrase; phrases match across punctuation.
	Term string `json:"term"`
	// Category overrides the list's category for this term.
	Category Category `json:"category,omitempty"`
	// Show allows the term to be named to the student.
	Show bool `json:"show"`
	// Evasions are further spellings that match as the term does
	// ("hakenkreutz"); lookalikes, leetspeak and spacing need none.
	Evasions []string `json:"evasions,omitempty"`
	// Context makes the term context-sensitive: it matches only with one
	// of these words at most three words before or after it (for numeric
	// codes like "88" and ambiguous abbreviations like "SS"). A context
	// word of four or more characters also matches as a word's prefix.
	Context []string `json:"context,omitempty"`
	// Compound says whether the term also matches as part of a compound
	// word. Unset: yes for terms of five or more normalised characters
	// without context, no otherwise.
	Compound *bool `json:"compound,omitempty"`
}

// TermList is a term list file (86a.json, kids.json, youth.json).
type TermList struct {
	Description string `json:"description"`
	// Category is the default category of the list's terms.
	Category Category `json:"category"`
	Terms    []Term   `json:"terms"`
}

// Pattern is one personal-data pattern, matched on the NFKC text (never the
// leet-folded one, so digits stay digits).
type Pattern struct {
	// Name is what Hit.Term reports, e.g. "email".
	Name string `json:"name"`
	// Regex is a Go regular expression (RE2 syntax).
	Regex string `json:"regex"`
	// Check is an extra test of each match: "" (none), "iban" (the
	// ISO 13616 checksum), "phone" (7 to 15 digits) or "street_en" (no
	// ordinary word like "the" or "on" between number and street word).
	Check string `json:"check,omitempty"`
	// Needs is a string the text must contain for the pattern to run
	// (a cheap pre-filter, e.g. "@").
	Needs string `json:"needs,omitempty"`
	// MinDigits is the number of ASCII digits the text must contain for the
	// pattern to run.
	MinDigits int `json:"min_digits,omitempty"`
}

// PatternSet is the personal-data file (personal_data.json).
type PatternSet struct {
	Description string    `json:"description"`
	Patterns    []Pattern `json:"patterns"`
}

// AllowList is the near-miss file (allow.json): ordinary words that look
// like a term or contain one. A word of the allow list is never matched by
// edit distance or as a compound part, and a compound match that lies inside
// an allowed word of the same token is dropped.
type AllowList struct {
	Description string   `json:"description"`
	Words       []string `json:"words"`
}

// Lists are the decoded list files a Filter is compiled from.
type Lists struct {
	Forbidden    TermList
	Kids         TermList
	Youth        TermList
	PersonalData PatternSet
	Allow        AllowList
}

// Problem is one error found in a list by Compile.
type Problem struct {
	List    string // list id, e.g. "kids"
	Field   string // JSON path inside the list file, e.g. "terms[3].term"
	Message string
}

// String formats the problem as "LIST: FIELD: MESSAGE".
func (p Problem) String() string {
	if p.Field == "" {
		return fmt.Sprintf("%s: %s", p.List, p.Message)
	}
	return fmt.Sprintf("%s: %s: %s", p.List, p.Field, p.Message)
}

// termCategories are the categories a kids or youth term may carry.
var termCategories = map[Category]bool{
	CategoryViolence: true, CategorySexual: true, CategoryDrugs: true,
	CategorySelfHarm: true, CategoryHorror: true, CategoryOther: true,
}
