package instance

import (
	"log/slog"
	"strconv"
	"unicode/utf8"

	"github.com/wailsapp/wails/v2/pkg/options"
)

// What of a second launch's command line reaches the log. Anyone who can
// start a process can send any text, so it is only ever logged, capped.
const (
	MaxLoggedArgs  = 4
	MaxLoggedChars = 64
)

// Window is what a second launch needs of the running app.
type Window interface {
	// Raise unminimises the window and brings it to the front.
	Raise()
	// Notify tells the UI that the app was launched again.
	Notify()
}

// OnSecondLaunch is given to Wails as OnSecondInstanceLaunch. It brings
// the window forward. The launch's arguments and working folder are not
// trusted: never run, opened or shown, only logged capped.
func OnSecondLaunch(w Window, log *slog.Logger) func(options.SecondInstanceData) {
	return func(d options.SecondInstanceData) {
		log.Info("second launch handed over", "args", len(d.Args), "first_args", Capped(d.Args), "working_dir", capString(d.WorkingDirectory))
		w.Raise()
		w.Notify()
	}
}

// Capped returns at most MaxLoggedArgs of args, each quoted (so no control
// character reaches the log) and cut to MaxLoggedChars.
func Capped(args []string) []string {
	n := min(len(args), MaxLoggedArgs)
	out := make([]string, n)
	for i := range n {
		out[i] = capString(args[i])
	}
	return out
}

func capString(s string) string {
	cut := false
	if len(s) > MaxLoggedChars {
		s, cut = s[:MaxLoggedChars], true
		for !utf8.ValidString(s) && len(s) > 0 {
			s = s[:len(s)-1]
		}
	}
	q := strconv.QuoteToASCII(s)
	if cut {
		q += "…"
	}
	return q
}
