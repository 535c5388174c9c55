// Package update tells the desktop app that a newer release exists. It
// fetches a signed release manifest at most once a day and offers the
// manifest's download page; it never downloads or runs a release itself.
//
// The release URL serves an envelope:
//
//	{"payload": "<base64 of the manifest's JSON bytes>",
//	 "signature": "<base64 ed25519 signature of those bytes>"}
//
// and the manifest is
//
//	{"version": "0.5.0", "url": "https://…/download", "notes": "…", "published": "2026-12-01"}
//
// signed with the release key whose public half is built into the app
// (PublicKey). Signing the exact payload bytes needs no canonical JSON;
// Sign makes an envelope (`lorastudio release-sign`).
package update

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/mod/semver"
)

// Limits of one check, defined once.
const (
	MaxBody  = 64 << 10         // bytes of envelope read; a longer body is refused
	Timeout  = 10 * time.Second // for the whole request
	Interval = 24 * time.Hour   // between two checks
	MaxNotes = 2000             // bytes of release notes kept
)

// PublicKey is the base64 ed25519 public key releases are signed with, set
// at build time:
//
//	-ldflags "-X github.com/promptforge/lorastudio/internal/update.PublicKey=…"
//
// Without it the app checks for no updates.
var PublicKey string

// DefaultURL is the release URL a build checks when neither
// LORASTUDIO_UPDATE_URL nor the update_url setting names one; set like
// PublicKey. Empty: no check.
var DefaultURL string

// Manifest describes a release.
type Manifest struct {
	Version   string `json:"version"`
	URL       string `json:"url"` // the download page, opened only when the user clicks
	Notes     string `json:"notes,omitempty"`
	Published string `json:"published,omitempty"`
}

// Envelope is what the release URL serves.
type Envelope struct {
	Payload   string `json:"payload"`
	Signature string `json:"signature"`
}

// State is what a Store keeps between runs.
type State struct {
	CheckedAt time.Time `json:"checked_at"`
	Offer     *Manifest `json:"offer,omitempty"`     // the newest verified release seen, if newer than the app then
	Dismissed string    `json:"dismissed,omitempty"` // the version the user dismissed
	LastError string    `json:"last_error,omitempty"`
}

// Store keeps the State; the app keeps it in its SQLite settings.
type Store interface {
	LoadUpdate(ctx context.Context) (State, error) // a zero State when none was saved
	SaveUpdate(ctx context.Context, s State) error
}

// Status is what the About panel and the update banner show.
type Status struct {
	Enabled   bool      `json:"enabled"`
	Current   string    `json:"current"`
	URL       string    `json:"url,omitempty"` // the release URL checked
	CheckedAt time.Time `json:"checked_at,omitzero"`
	Available *Manifest `json:"available,omitempty"` // a newer release the user has not dismissed
	Note      string    `json:"note,omitempty"`      // why there is no check, or why the last one found nothing usable
}

// Checker checks one release URL for the running version.
type Checker struct {
	URL     string            // "" turns checking off
	Key     ed25519.PublicKey // nil turns checking off
	Current string            // the running version
	Store   Store
	Client  *http.Client     // nil: http.DefaultClient
	Now     func() time.Time // nil: time.Now
}

// ParseKey decodes a base64 ed25519 public key.
func ParseKey(b64 string) (ed25519.PublicKey, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil || len(k) != ed25519.PublicKeySize {
		return nil, errors.New("update: the release key is not a base64 ed25519 public key")
	}
	return ed25519.PublicKey(k), nil
}

func (c *Checker) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// off says why c checks nothing, or "" when it checks.
func (c *Checker) off() string {
	switch {
	case c.URL == "":
		return "no release URL is configured"
	case len(c.Key) != ed25519.PublicKeySize:
		return "this build has no release key"
	case !semver.IsValid(canonical(c.Current)):
		return fmt.Sprintf("this build (%s) is not a release version", c.Current)
	}
	if err := checkURL(c.URL); err != nil {
		return err.Error()
	}
	return ""
}

// Status returns what the last check found, without checking.
func (c *Checker) Status(ctx context.Context) (Status, error) {
	if why := c.off(); why != "" {
		return Status{Current: c.Current, Note: why}, nil
	}
	s, err := c.Store.LoadUpdate(ctx)
	if err != nil {
		return Status{}, err
	}
	return c.status(s), nil
}

func (c *Checker) status(s State) Status {
	st := Status{Enabled: true, Current: c.Current, URL: c.URL, CheckedAt: s.CheckedAt, Note: s.LastError}
	if s.Offer != nil && newer(s.Offer.Version, c.Current) && s.Offer.Version != s.Dismissed {
		st.Available = s.Offer
	}
	return st
}

// CheckDaily checks the release URL unless the last check was less than
// Interval ago. What a failed check found is logged through the returned
// status' Note, never offered.
func (c *Checker) CheckDaily(ctx context.Context) (Status, error) {
	if why := c.off(); why != "" {
		return Status{Current: c.Current, Note: why}, nil
	}
	s, err := c.Store.LoadUpdate(ctx)
	if err != nil {
		return Status{}, err
	}
	now := c.now()
	if !s.CheckedAt.IsZero() && now.Sub(s.CheckedAt) < Interval && !s.CheckedAt.After(now) {
		return c.status(s), nil
	}
	// Every attempt counts, so a failing server is asked once a day too.
	s.CheckedAt = now
	m, err := c.fetch(ctx)
	switch {
	case err != nil:
		s.LastError = err.Error()
	case newer(m.Version, c.Current):
		s.Offer, s.LastError = m, ""
	default:
		s.Offer, s.LastError = nil, ""
	}
	if serr := c.Store.SaveUpdate(ctx, s); serr != nil {
		return Status{}, serr
	}
	return c.status(s), err
}

// Dismiss hides the offer of version until a newer one comes.
func (c *Checker) Dismiss(ctx context.Context, version string) (Status, error) {
	if why := c.off(); why != "" {
		return Status{Current: c.Current, Note: why}, nil
	}
	s, err := c.Store.LoadUpdate(ctx)
	if err != nil {
		return Status{}, err
	}
	s.Dismissed = version
	if err := c.Store.SaveUpdate(ctx, s); err != nil {
		return Status{}, err
	}
	return c.Status(ctx)
}

// fetch gets, verifies and checks the manifest.
func (c *Checker) fetch(ctx context.Context) (*Manifest, error) {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("update: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	client := c.Client
	if client == nil {
		client = http.DefaultClient
	}
	res, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("update: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("update: the release URL answered %s", res.Status)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, MaxBody+1))
	if ctx.Err() != nil {
		// The deadline cut the answer (HTTP/2 can end the body cleanly
		// then): say so, rather than call a truncated manifest malformed.
		return nil, fmt.Errorf("update: %w", ctx.Err())
	}
	if err != nil {
		return nil, fmt.Errorf("update: %w", err)
	}
	if len(body) > MaxBody {
		return nil, fmt.Errorf("update: the release manifest is over %d bytes", MaxBody)
	}
	return Open(body, c.Key)
}

// Open verifies an envelope's signature with key and returns its manifest,
// checked: a semver version and an https download page.
func Open(envelope []byte, key ed25519.PublicKey) (*Manifest, error) {
	var env Envelope
	if err := json.Unmarshal(envelope, &env); err != nil {
		return nil, fmt.Errorf("update: the release manifest is not JSON: %w", err)
	}
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return nil, errors.New("update: the release manifest's payload is not base64")
	}
	sig, err := base64.StdEncoding.DecodeString(env.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize || !ed25519.Verify(key, payload, sig) {
		return nil, errors.New("update: the release manifest's signature does not verify")
	}
	var m Manifest
	if err := json.Unmarshal(payload, &m); err != nil {
		return nil, fmt.Errorf("update: the signed manifest is not JSON: %w", err)
	}
	if !semver.IsValid(canonical(m.Version)) {
		return nil, fmt.Errorf("update: the signed manifest's version %q is not semver", m.Version)
	}
	if err := checkURL(m.URL); err != nil {
		return nil, fmt.Errorf("update: the signed manifest's download page: %w", err)
	}
	if len(m.Notes) > MaxNotes {
		m.Notes = strings.ToValidUTF8(m.Notes[:MaxNotes], "") + "…"
	}
	return &m, nil
}

// Sign makes the envelope of m with the release's private key.
func Sign(m Manifest, key ed25519.PrivateKey) ([]byte, error) {
	if !semver.IsValid(canonical(m.Version)) {
		return nil, fmt.Errorf("update: version %q is not semver", m.Version)
	}
	if err := checkURL(m.URL); err != nil {
		return nil, fmt.Errorf("update: download page: %w", err)
	}
	payload, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(Envelope{
		Payload:   base64.StdEncoding.EncodeToString(payload),
		Signature: base64.StdEncoding.EncodeToString(ed25519.Sign(key, payload)),
	}, "", "  ")
}

// checkURL accepts https, and http only to this computer (a test server or
// a local mirror: the signature, not the transport, is what is trusted).
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not an absolute URL", raw)
	}
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && loopback(u.Hostname()):
		return nil
	}
	return fmt.Errorf("%q is not https", raw)
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// newer reports whether version v is a later release than current.
func newer(v, current string) bool {
	a, b := canonical(v), canonical(current)
	return semver.IsValid(a) && semver.IsValid(b) && semver.Compare(a, b) > 0
}

// canonical adds the "v" x/mod/semver wants: releases are named 0.5.0.
func canonical(v string) string {
	if strings.HasPrefix(v, "v") {
		return v
	}
	return "v" + v
}
