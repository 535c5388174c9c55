package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/promptforge/lorastudio/backend/erasure"
	"github.com/promptforge/lorastudio/backend/pgstore"
	"github.com/promptforge/lorastudio/internal/consent"
	"github.com/promptforge/lorastudio/internal/studio"
	"github.com/promptforge/lorastudio/internal/wire"
)

type consentTextIn struct {
	Lang           string `query:"lang" maxLength:"64" doc:"language of the text (BCP 47: en, pt-BR; pt matches pt-BR); before Accept-Language; a language not offered falls back to Accept-Language, then to en"`
	AcceptLanguage string `header:"Accept-Language" doc:"used when lang is absent or not offered"`
}

type consentTextOut struct {
	ContentLanguage string `header:"Content-Language"`
	Vary            string `header:"Vary"`
	Body            wire.ConsentText
}

type consentIn struct{ Body wire.ConsentRequest }

type consentOut struct{ Body wire.Consent }

type erasureOut struct{ Body wire.Erasure }

func (s *Server) registerConsent() {
	register(s, huma.Operation{
		OperationID: "consent-text", Method: http.MethodGet, Path: "/api/lora/consent",
		Summary: "The consent text in force in the language asked for, with its version and hash", Security: bearer, Tags: []string{"consent"},
	}, s.consentText)
	register(s, huma.Operation{
		OperationID: "consent-give", Method: http.MethodPost, Path: "/api/lora/consents",
		Summary: "Record the user's consent to process photos of their face", Security: bearer,
		DefaultStatus: http.StatusCreated, Tags: []string{"consent"},
	}, s.giveConsent)
	register(s, huma.Operation{
		OperationID: "consent-current", Method: http.MethodGet, Path: "/api/lora/consents/current",
		Summary: "The user's consent on record", Security: bearer, Tags: []string{"consent"},
	}, s.currentConsent)
	register(s, huma.Operation{
		OperationID: "consent-withdraw", Method: http.MethodPost, Path: "/api/lora/consents/withdraw",
		Summary: "Withdraw consent: erase every photo, thumbnail and artifact of the user", Security: bearer, Tags: []string{"consent"},
	}, s.withdrawConsent)
}

// consentText returns the text in force in the language the request asks
// for: lang, else Accept-Language, else English.
func (s *Server) consentText(_ context.Context, in *consentTextIn) (*consentTextOut, error) {
	lang, ok := consent.Match(in.Lang)
	if !ok {
		lang, _ = consent.MatchAcceptLanguage(in.AcceptLanguage)
	}
	c := consent.In(lang)
	out := &consentTextOut{ContentLanguage: c.Language, Vary: "Accept-Language"}
	out.Body.Version, out.Body.Language, out.Body.Text, out.Body.SHA256, out.Body.Purpose = c.Version, c.Language, c.Text, c.SHA256, c.Purpose
	out.Body.Languages = consent.Languages()
	out.Body.Processors, out.Body.RetentionDays = s.cfg.Processors, s.cfg.RetentionDays
	return out, nil
}

// giveConsent records consent to the text in force whose version the
// request names, in whichever language it is: the hash must be that
// text's, and the record keeps its language.
func (s *Server) giveConsent(ctx context.Context, in *consentIn) (*consentOut, error) {
	cur, inForce := consent.ByVersion(in.Body.Version)
	switch {
	case !inForce:
		return nil, studio.Errorf(studio.EConsentOutdated, "consent text %q is not one in force (%s); read the current text and consent again", in.Body.Version, versionsInForce())
	case in.Body.SHA256 != cur.SHA256:
		return nil, studio.Errorf(studio.EConsentMismatch, "the text you read differs from version %s (%s)%s; reload it and consent again", cur.Version, cur.Language, otherText(in.Body.SHA256))
	case !in.Body.AttestSelf:
		return nil, studio.Errorf(studio.EAttestationRequired, "confirm that every photo shows you; photos of anyone else are not allowed")
	}
	c, err := s.cfg.Store.RecordConsent(ctx, pgstore.Consent{
		UserID: userID(ctx), TextVersion: cur.Version, TextSHA256: cur.SHA256, TextLanguage: cur.Language, AttestSelf: true,
		Purpose: cur.Purpose, Processors: s.cfg.Processors, RetentionDays: s.cfg.RetentionDays,
	})
	if err != nil {
		return nil, err
	}
	logger(ctx).Info("consent recorded", "user_id", c.UserID, "version", c.TextVersion, "language", c.TextLanguage)
	return &consentOut{Body: s.consentBody(c)}, nil
}

// currentConsent returns the live consent, or says why there is none:
// consent_expired when the retention period of the last one ran out (the
// desktop shows its message), consent_required otherwise.
func (s *Server) currentConsent(ctx context.Context, _ *struct{}) (*consentOut, error) {
	c, err := s.cfg.Store.LatestConsent(ctx, userID(ctx))
	if studio.ErrorCode(err) == studio.ENotFound {
		return nil, s.noConsent(ctx, "no consent on record; read the consent text and give consent before adding photos")
	}
	if err != nil {
		return nil, err
	}
	return &consentOut{Body: s.consentBody(c)}, nil
}

// noConsent is the error for a user without a live consent: consent_expired
// with the date and period when the retention purge ended the last one,
// else consent_required with msg.
func (s *Server) noConsent(ctx context.Context, msg string) error {
	last, err := s.cfg.Store.LastConsent(ctx, userID(ctx))
	if err == nil && last.EndedReason == pgstore.EndRetention && last.WithdrawnAt != nil {
		return studio.Errorf(studio.EConsentExpired, "your photos and trained versions were deleted on %s because the %d-day retention period you agreed to ended; give consent again to continue",
			last.WithdrawnAt.UTC().Format("2 January 2006"), last.RetentionDays)
	}
	return studio.Errorf(studio.EConsentRequired, "%s", msg)
}

func (s *Server) consentBody(c pgstore.Consent) wire.Consent {
	return wire.Consent{
		ID: c.ID, Version: c.TextVersion, Language: c.TextLanguage, Purpose: c.Purpose, Processors: c.Processors,
		RetentionDays: c.RetentionDays, CreatedAt: c.CreatedAt, Outdated: s.outdated(c) != "",
	}
}

// outdated says why c no longer covers new work, "" if it does: the text
// changed, or the processors it named are not the ones configured now (the
// user agreed to other companies handling their photos).
func (s *Server) outdated(c pgstore.Consent) string {
	_, inForce := consent.ByVersion(c.TextVersion)
	switch {
	case !inForce:
		return fmt.Sprintf("the consent text changed (now %s); read it and consent again", consent.In(c.TextLanguage).Version)
	case !slices.Equal(c.Processors, s.cfg.Processors):
		return fmt.Sprintf("who processes your photos changed (now %s); read the consent and consent again", strings.Join(s.cfg.Processors, "; "))
	}
	return ""
}

// requireConsent refuses work on face photos without a live consent to the
// text in force and the processors configured now.
func (s *Server) requireConsent(ctx context.Context) error {
	c, err := s.cfg.Store.LatestConsent(ctx, userID(ctx))
	if studio.ErrorCode(err) == studio.ENotFound {
		return s.noConsent(ctx, "give consent before uploading photos of your face")
	}
	if err != nil {
		return err
	}
	if why := s.outdated(c); why != "" {
		return studio.Errorf(studio.EConsentOutdated, "%s", why)
	}
	return nil
}

// withdrawConsent erases the user's data the same way the retention purge
// does (erasure.Eraser).
func (s *Server) withdrawConsent(ctx context.Context, _ *struct{}) (*erasureOut, error) {
	e, err := erasure.Eraser{Store: s.cfg.Store, Blobs: s.cfg.Blobs, Provider: s.cfg.Training.Provider, Log: logger(ctx)}.
		Erase(ctx, userID(ctx), pgstore.Ending{Reason: pgstore.EndWithdrawn})
	if err != nil {
		return nil, err
	}
	return &erasureOut{Body: wire.Erasure{Consents: e.Consents, Datasets: e.Datasets, Items: e.Items, Versions: e.Versions, Jobs: e.Jobs}}, nil
}

// versionsInForce lists the versions in force with their languages, for
// messages: "2026-12-01 (en), 2026-12-01.pt-BR (pt-BR)".
func versionsInForce() string {
	var vs []string
	for _, t := range consent.InForce() {
		vs = append(vs, t.Version+" ("+t.Language+")")
	}
	return strings.Join(vs, ", ")
}

// otherText says which text in force sha256 is the hash of, if any: a
// client that sent one language's version with another's hash.
func otherText(sha256 string) string {
	for _, t := range consent.InForce() {
		if t.SHA256 == sha256 {
			return fmt.Sprintf(": that hash is of version %s (%s); send the version of the text you read", t.Version, t.Language)
		}
	}
	return ""
}
