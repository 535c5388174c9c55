package stdwebhook_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/promptforge/lorastudio/internal/stdwebhook"
)

// The specification's published test vector.
const (
	vecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vecID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vecTS     = "1614265330"
	vecBody   = `{"test": 2432232314}`
	vecSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func headers(id, ts, sig string) http.Header {
	h := http.Header{}
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", ts)
	h.Set("webhook-signature", sig)
	return h
}

func TestVerify(t *testing.T) {
	secret, err := stdwebhook.ParseSecret(vecSecret)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := stdwebhook.ParseSecret(stdwebhook.NewSecret())
	at := time.Unix(1614265330, 0)
	fixed := func(t time.Time) func() time.Time { return func() time.Time { return t } }
	tests := []struct {
		name    string
		secrets [][]byte
		now     time.Time
		h       http.Header
		body    string
		want    error
	}{
		{"official vector", [][]byte{secret}, at, headers(vecID, vecTS, vecSig), vecBody, nil},
		{"body without its space", [][]byte{secret}, at, headers(vecID, vecTS, vecSig), `{"test":2432232314}`, stdwebhook.ErrNoMatch},
		{"another id", [][]byte{secret}, at, headers("msg_other", vecTS, vecSig), vecBody, stdwebhook.ErrNoMatch},
		{"rotation: second signature matches", [][]byte{secret}, at, headers(vecID, vecTS, "v1,bm90IGl0 "+vecSig), vecBody, nil},
		{"rotation: second secret matches", [][]byte{other, secret}, at, headers(vecID, vecTS, vecSig), vecBody, nil},
		{"other scheme ignored", [][]byte{secret}, at, headers(vecID, vecTS, "v1a,"+vecSig[3:]), vecBody, stdwebhook.ErrNoMatch},
		{"wrong secret", [][]byte{other}, at, headers(vecID, vecTS, vecSig), vecBody, stdwebhook.ErrNoMatch},
		{"4m59s late is fine", [][]byte{secret}, at.Add(4*time.Minute + 59*time.Second), headers(vecID, vecTS, vecSig), vecBody, nil},
		{"5m01s late", [][]byte{secret}, at.Add(5*time.Minute + time.Second), headers(vecID, vecTS, vecSig), vecBody, stdwebhook.ErrTooOld},
		{"5m01s early", [][]byte{secret}, at.Add(-5*time.Minute - time.Second), headers(vecID, vecTS, vecSig), vecBody, stdwebhook.ErrTooNew},
		{"missing signature", [][]byte{secret}, at, headers(vecID, vecTS, ""), vecBody, stdwebhook.ErrMissingHeaders},
		{"timestamp not a number", [][]byte{secret}, at, headers(vecID, "yesterday", vecSig), vecBody, stdwebhook.ErrBadTimestamp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := stdwebhook.Verifier{Secrets: tt.secrets, Now: fixed(tt.now)}
			id, err := v.Verify(tt.h, []byte(tt.body))
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if err == nil && id != tt.h.Get("webhook-id") {
				t.Errorf("id: got %q, want %q", id, tt.h.Get("webhook-id"))
			}
		})
	}
}

func TestSignRoundTrip(t *testing.T) {
	secret, _ := stdwebhook.ParseSecret(vecSecret)
	if got := stdwebhook.Sign(secret, vecID, 1614265330, []byte(vecBody)); got != vecSig {
		t.Fatalf("Sign: got %s, want %s", got, vecSig)
	}
	h := http.Header{}
	now := time.Now()
	stdwebhook.SetHeaders(h, secret, "msg_1", now, []byte("{}"))
	if _, err := (stdwebhook.Verifier{Secrets: [][]byte{secret}}).Verify(h, []byte("{}")); err != nil {
		t.Errorf("verify what SetHeaders signed: %v", err)
	}
}

func TestParseSecrets(t *testing.T) {
	tests := []struct {
		in    string
		n     int
		valid bool
	}{
		{vecSecret, 1, true},
		{vecSecret + " " + stdwebhook.NewSecret(), 2, true},
		{"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", 1, true},
		{"whsec_!!!", 0, false},
		{"whsec_c2hvcnQ=", 0, false}, // 5 bytes: too short to be a key
		{"   ", 0, false},
	}
	for _, tt := range tests {
		got, err := stdwebhook.ParseSecrets(tt.in)
		if (err == nil) != tt.valid || len(got) != tt.n {
			t.Errorf("ParseSecrets(%q): got %d secrets, err %v; want %d, valid %v", tt.in, len(got), err, tt.n, tt.valid)
		}
	}
}
