package app

import "testing"

func TestOSLocale(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"LANG alone", map[string]string{"LANG": "pt_BR.UTF-8"}, "pt-BR"},
		{"LC_ALL wins", map[string]string{"LC_ALL": "en_US.UTF-8", "LANG": "pt_BR.UTF-8"}, "en-US"},
		{"LC_MESSAGES over LANG", map[string]string{"LC_MESSAGES": "pt_PT@euro", "LANG": "en_GB.UTF-8"}, "pt-PT"},
		{"language only", map[string]string{"LANG": "pt"}, "pt"},
		{"C is no locale", map[string]string{"LANG": "C.UTF-8"}, ""},
		{"POSIX is no locale", map[string]string{"LC_ALL": "POSIX", "LANG": "pt_BR.UTF-8"}, ""},
		{"nothing set", map[string]string{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := osLocale(func(k string) string { return tt.env[k] }); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
