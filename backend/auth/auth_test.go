package auth_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/promptforge/lorastudio/backend/auth"
)

// Cheap parameters keep the test fast; the format is the same.
var fast = auth.Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32}

func TestPassword(t *testing.T) {
	hash, err := auth.HashPassword("correct horse", fast)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Errorf("hash format: got %q", hash)
	}
	other, _ := auth.HashPassword("correct horse", fast)
	if other == hash {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	tests := []struct {
		password string
		hash     string
		ok       bool
		err      bool
	}{
		{"correct horse", hash, true, false},
		{"correct horse ", hash, false, false},
		{"", hash, false, false},
		{"correct horse", "$bcrypt$whatever", false, true},
		{"correct horse", "$argon2id$v=19$m=x$a$b", false, true},
	}
	for _, tt := range tests {
		ok, err := auth.CheckPassword(tt.password, tt.hash)
		if ok != tt.ok || (err != nil) != tt.err {
			t.Errorf("CheckPassword(%q, %q): got %v, %v; want %v, err %v", tt.password, tt.hash, ok, err, tt.ok, tt.err)
		}
	}
}

func TestToken(t *testing.T) {
	tok, hash, err := auth.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, auth.TokenPrefix) || len(tok) < 40 {
		t.Errorf("token %q: want the prefix and 32 random bytes", tok)
	}
	if !bytes.Equal(hash, auth.HashToken(tok)) {
		t.Error("stored hash does not match the token's hash")
	}
	tok2, _, _ := auth.NewToken()
	if tok2 == tok {
		t.Error("two tokens are equal")
	}
}
