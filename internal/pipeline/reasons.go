package pipeline

import (
	"strings"

	"github.com/ai4artsed/ai4artsed/internal/fault"
	"github.com/ai4artsed/ai4artsed/internal/llm"
	"github.com/ai4artsed/ai4artsed/internal/safety"
)

// reasons tell a student why a text was stopped, by category: what was
// found, why it matters (one sentence a twelve-year-old understands) and a
// way forward.
var reasons = map[safety.Category]fault.Text{
	safety.CategoryForbidden: fault.T(
		"In deinem Text steht ein verbotenes Zeichen, ein verbotener Spruch oder Name. Solche Zeichen stehen für Gruppen, die vielen Menschen großes Leid angetan haben, darum sind sie in Deutschland verboten. Erzähl deine Idee ohne dieses Zeichen.",
		"Your text contains a forbidden symbol, slogan or name. Such signs stand for groups that caused great suffering to many people, which is why they are banned in Germany. Tell your idea without it."),
	safety.CategoryPersonalData: fault.T(
		"In deinem Text stehen persönliche Daten wie eine Adresse, Telefonnummer oder E-Mail. Fremde könnten solche Daten finden und missbrauchen. Lass sie weg und erfinde lieber Namen und Orte.",
		"Your text contains personal data such as an address, phone number or e-mail. Strangers could find such data and misuse it. Leave it out and make up names and places instead."),
	safety.CategoryViolence: fault.T(
		"In deinem Text geht es um Gewalt, Verletzungen oder Waffen. Solche Bilder können anderen Angst machen oder wehtun. Versuch, die Geschichte ohne Verletzungen zu erzählen, zum Beispiel als Abenteuer oder Wettkampf.",
		"Your text is about violence, injuries or weapons. Pictures like that can scare or hurt others. Try telling the story without anyone getting hurt, for example as an adventure or a contest."),
	safety.CategorySexual: fault.T(
		"In deinem Text geht es um Nacktheit oder Sexuelles. Das passt nicht zu Bildern für deine Altersgruppe. Versuch eine andere Idee.",
		"Your text is about nudity or something sexual. That does not fit pictures for your age group. Try another idea."),
	safety.CategoryDrugs: fault.T(
		"In deinem Text kommen Drogen, Alkohol oder Rauchen vor. Bilder davon können so wirken, als wäre das harmlos. Versuch eine Idee ohne sie.",
		"Your text mentions drugs, alcohol or smoking. Pictures of them can make them look harmless. Try an idea without them."),
	safety.CategorySelfHarm: fault.T(
		"In deinem Text geht es darum, sich selbst zu verletzen. Das ist ein ernstes Thema: Wenn es dich beschäftigt, sprich mit einem Menschen, dem du vertraust. Für ein Bild versuch bitte eine andere Idee.",
		"Your text is about hurting yourself. That is a serious topic: if it is on your mind, talk to someone you trust. For a picture, please try another idea."),
	safety.CategoryHorror: fault.T(
		"Dein Text ist sehr gruselig oder grausam. Solche Bilder können Angst machen, die lange bleibt. Versuch es weniger grausam, geheimnisvoll geht auch.",
		"Your text is very scary or cruel. Pictures like that can cause fear that lasts. Try it less cruel; mysterious works too."),
	safety.CategoryOther: fault.T(
		"Dein Text passt nicht zu den Regeln für deine Altersgruppe. Manche Inhalte können anderen schaden oder Angst machen. Versuch, deine Idee anders zu beschreiben.",
		"Your text does not fit the rules for your age group. Some content can harm or scare others. Try describing your idea differently."),
}

var (
	reasonUnavailable = fault.T(
		"Die Sicherheitsprüfung ist gerade nicht erreichbar. Ohne sie machen wir nicht weiter, damit nichts Unpassendes entsteht. Versuch es gleich noch einmal.",
		"The safety check cannot be reached right now. Without it we do not go on, so that nothing unsuitable is made. Try again in a moment.")
	reasonImage = fault.T(
		"Das Bild, das entstanden ist, passt nicht zu deiner Altersgruppe, darum zeigen wir es nicht. Das kann auch bei einer guten Idee passieren, weil die Bild-KI manchmal Unerwartetes malt. Versuch es noch einmal oder ändere ein paar Wörter.",
		"The picture that was made does not fit your age group, so we do not show it. That can happen even with a good idea, because the image AI sometimes draws something unexpected. Try again or change a few words.")
)

// reason is the student's message for a block, in the run's language.
func (x *execution) reason(b *block) string {
	switch {
	case b.down:
		return reasonUnavailable.Get(x.req.Lang)
	case b.image:
		return reasonImage.Get(x.req.Lang)
	}
	t, ok := reasons[b.category]
	if !ok {
		t = reasons[safety.CategoryOther]
	}
	return t.Get(x.req.Lang)
}

// suggestPrompt asks the interception model for a harmless rewrite.
var suggestPrompt = fault.T(
	"Schreib die folgende Bildidee eines Kindes so um, dass sie für Kinder und Jugendliche unbedenklich ist: ohne Gewalt, Waffen, Blut, Sexuelles, Drogen, Grausamkeit, verbotene Symbole oder persönliche Daten. Behalte das Fantasievolle der Idee. Antworte nur mit der neuen Idee in einem Satz, in der Sprache der Idee.",
	"Rewrite the following picture idea of a child so that it is harmless for children and young people: without violence, weapons, blood, sexual content, drugs, cruelty, forbidden symbols or personal data. Keep the imaginative part of the idea. Answer only with the new idea in one sentence, in the idea's language.")

// suggest asks for a harmless rewrite of a blocked text and returns it
// only when it passes the filter and the judge itself; "" otherwise.
func (x *execution) suggest(b *block) string {
	model := x.p.cfg.Models.Interception
	res, err := x.caller(b.stage)(x.ctx, llm.Request{Model: model, Think: new(false), Messages: []llm.Message{
		{Role: "system", Content: suggestPrompt.Get(x.req.Lang)}, {Role: "user", Content: b.text}}}, x.p.judgeTimeout())
	text := strings.TrimSpace(res.Text)
	if err != nil || text == "" {
		x.p.log.Info("no suggestion for a blocked text", "run", x.run.ID, "err", err)
		return ""
	}
	s, err := x.screen(b.stage, []screenItem{{field: "suggestion", text: text, forceJudge: true}})
	if err != nil || s.blocked != nil {
		x.p.log.Info("the suggestion did not pass the checks itself", "run", x.run.ID)
		return ""
	}
	return text
}

// negativeTerms are appended to the output's negative prompt for kids and
// youth, so the image model steers away from what the checks would block.
var negativeTerms = map[safety.Level][]string{
	safety.Kids: {"violence", "blood", "gore", "weapon", "injury", "nudity", "sexual content", "horror", "scary monster",
		"skull", "corpse", "alcohol", "cigarette", "drugs", "extremist symbol"},
	safety.Youth: {"gore", "graphic violence", "nudity", "sexual content", "drug use", "self-harm", "extremist symbol"},
}

// negativeFor returns the output's negative prompt with the level's terms
// appended (those not in it already), and the terms it added.
func negativeFor(base string, level safety.Level) (string, []string) {
	var added []string
	lower := strings.ToLower(base)
	parts := []string{}
	if t := strings.TrimRight(strings.TrimSpace(base), ", "); t != "" {
		parts = append(parts, t)
	}
	for _, term := range negativeTerms[level] {
		if !strings.Contains(lower, term) {
			added = append(added, term)
			parts = append(parts, term)
		}
	}
	return strings.Join(parts, ", "), added
}
