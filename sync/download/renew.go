package download

import (
	"context"
	"time"

	"github.com/promptforge/lorastudio/internal/studio"
)

// Source returns the target to fetch, with a URL fresh from the server:
// it is asked again whenever the last URL was refused.
type Source func(ctx context.Context) (Target, error)

// Renewal tells why a download asks for a new URL or tries again: Code is
// studio.EDownloadURLExpired or studio.EUnavailable, Message the words to show.
type Renewal struct {
	Code    string
	Message string
}

// Retry bounds FetchFrom's tries. The zero value: three new URLs, and
// three tries after network trouble one, two and four seconds apart.
type Retry struct {
	Renewals int
	Network  int
	Backoff  time.Duration
}

// FetchFrom fetches what src describes. When the URL expires it asks src
// for a new one and resumes; after network trouble it waits and resumes.
// notify, when set, is told each time. It returns the target fetched, or
// the last error once the tries are used up (see Fetch for the codes).
func (f *Fetcher) FetchFrom(ctx context.Context, src Source, r Retry, notify func(Renewal)) (Target, error) {
	if r.Renewals <= 0 {
		r.Renewals = 3
	}
	if r.Network <= 0 {
		r.Network = 3
	}
	if r.Backoff <= 0 {
		r.Backoff = time.Second
	}
	t, err := src(ctx)
	if err != nil {
		return Target{}, err
	}
	renewals, network, wait := 0, 0, r.Backoff
	for {
		err = f.Fetch(ctx, t)
		switch studio.ErrorCode(err) {
		case studio.EDownloadURLExpired:
			if renewals++; renewals > r.Renewals {
				return t, err
			}
			if notify != nil {
				notify(Renewal{Code: studio.EDownloadURLExpired, Message: "The download link expired; trying a new one."})
			}
			if t, err = src(ctx); err != nil {
				return t, err
			}
		case studio.EUnavailable:
			if network++; network > r.Network || ctx.Err() != nil {
				return t, err
			}
			if notify != nil {
				notify(Renewal{Code: studio.EUnavailable, Message: "The connection dropped; trying again, the download resumes where it stopped."})
			}
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return t, ctx.Err()
			}
			wait *= 2
		default:
			return t, err
		}
	}
}
