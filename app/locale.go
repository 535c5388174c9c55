package app

import (
	"os"
	"strings"
)

// osLocale returns the user's locale as a BCP 47 tag ("pt-BR"), read the
// way POSIX programs read it: LC_ALL, then LC_MESSAGES, then LANG, the
// first that is set; "" when none is, or it is C or POSIX. The webview's
// navigator.language does not follow these on Linux (WebKitGTK reports
// en-US whatever LANG says), so the frontend asks Go.
func osLocale(getenv func(string) string) string {
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v := getenv(name)
		if v == "" {
			continue
		}
		// language[_territory][.codeset][@modifier]
		if i := strings.IndexAny(v, ".@"); i >= 0 {
			v = v[:i]
		}
		if v == "" || v == "C" || v == "POSIX" {
			return ""
		}
		return strings.ReplaceAll(v, "_", "-")
	}
	return ""
}

// systemLocale is osLocale of this process's environment.
func systemLocale() string { return osLocale(os.Getenv) }
