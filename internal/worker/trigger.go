package worker

import "strings"

// TriggerPhrase is how the training captions name the person: the trigger
// word and the class word after {trigger} in the caption template ("a photo
// of {trigger} person" gives "ohwx person"). Prompts written with it match
// the training, so the user has nothing to remember. With no word after
// {trigger} it is the trigger word alone.
func (p Params) TriggerPhrase() string {
	if p.TriggerWord == "" {
		return ""
	}
	_, after, ok := strings.Cut(p.CaptionTemplate, "{trigger}")
	if !ok {
		return p.TriggerWord
	}
	class := strings.Fields(after)
	if len(class) == 0 {
		return p.TriggerWord
	}
	word := strings.TrimRight(class[0], ".,;:!?")
	if word == "" || strings.Contains(word, "{") {
		return p.TriggerWord
	}
	return p.TriggerWord + " " + word
}
