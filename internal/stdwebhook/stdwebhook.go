// Package stdwebhook signs and verifies HTTP requests the Standard Webhooks
// way (webhook-id, webhook-timestamp, webhook-signature: v1,<base64
// HMAC-SHA256 of "id.timestamp.body">), shared by the backend, which
// verifies webhooks and signs dispatches, and the reference GPU worker,
// which does the opposite.
package stdwebhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names of the specification.
const (
	HeaderID        = "Webhook-Id"
	HeaderTimestamp = "Webhook-Timestamp"
	HeaderSignature = "Webhook-Signature"
)

// Tolerance is how far a timestamp may be from the verifier's clock, in
// either direction: older is a replay, newer is a forged or broken clock.
const Tolerance = 5 * time.Minute

// Errors of Verify. They say what is wrong without saying which secret or
// signature was close.
var (
	ErrMissingHeaders = errors.New("webhook-id, webhook-timestamp and webhook-signature are required")
	ErrBadTimestamp   = errors.New("webhook-timestamp is not a unix time in seconds")
	ErrTooOld         = errors.New("webhook-timestamp is too old")
	ErrTooNew         = errors.New("webhook-timestamp is in the future")
	ErrNoMatch        = errors.New("no webhook-signature matches")
)

// ParseSecret decodes a "whsec_<base64>" secret (the prefix is optional, as
// the specification's libraries accept both).
func ParseSecret(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(strings.TrimSpace(s), "whsec_"))
	if err != nil || len(b) < 16 {
		return nil, fmt.Errorf("stdwebhook: a secret is whsec_ followed by the base64 of at least 16 bytes")
	}
	return b, nil
}

// ParseSecrets decodes a space-separated list of secrets: during a rotation
// the verifier accepts the old and the new one.
func ParseSecrets(s string) ([][]byte, error) {
	var out [][]byte
	for f := range strings.FieldsSeq(s) {
		b, err := ParseSecret(f)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("stdwebhook: no secret given")
	}
	return out, nil
}

// NewSecret returns a fresh random secret in its "whsec_" form.
func NewSecret() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// Sign returns the "v1,<base64>" signature of body under secret.
func Sign(secret []byte, id string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// SetHeaders puts the three signed headers on h.
func SetHeaders(h http.Header, secret []byte, id string, ts time.Time, body []byte) {
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, Sign(secret, id, ts.Unix(), body))
}

// Verifier checks signed requests against one or more secrets.
type Verifier struct {
	Secrets [][]byte
	Now     func() time.Time // nil: time.Now
}

// Verify checks h and the raw body: the three headers present, the
// timestamp within Tolerance of now in both directions, and at least one of
// the space-separated "v1,<base64>" signatures equal (in constant time) to
// the HMAC under one of the secrets. It returns the webhook id.
func (v Verifier) Verify(h http.Header, body []byte) (string, error) {
	id, tsRaw, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || tsRaw == "" || sigs == "" {
		return "", ErrMissingHeaders
	}
	ts, err := strconv.ParseInt(tsRaw, 10, 64)
	if err != nil {
		return "", ErrBadTimestamp
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	at := time.Unix(ts, 0)
	switch n := now(); {
	case at.Before(n.Add(-Tolerance)):
		return "", ErrTooOld
	case at.After(n.Add(Tolerance)):
		return "", ErrTooNew
	}
	for _, secret := range v.Secrets {
		want := []byte(Sign(secret, id, ts, body)[len("v1,"):])
		for sig := range strings.FieldsSeq(sigs) {
			got, ok := strings.CutPrefix(sig, "v1,")
			if !ok {
				continue // another scheme (v1a...): not ours to check
			}
			if hmac.Equal([]byte(got), want) {
				return id, nil
			}
		}
	}
	return "", ErrNoMatch
}
