package app_test

import (
	"context"
	"slices"
	"testing"

	"github.com/wailsapp/wails/v2/pkg/options"

	"github.com/promptforge/lorastudio/app"
)

func TestSecondLaunchRaisesTheWindowOnceItExists(t *testing.T) {
	a, rt := newApp(t, t.TempDir())
	launch := app.SecondLaunch(a)
	data := options.SecondInstanceData{Args: []string{"/etc/passwd", "--reset"}, WorkingDirectory: "/"}

	// Before Startup there is no Wails context to call the runtime with.
	launch(data)
	if len(rt.events) != 0 {
		t.Fatalf("before startup: events %v, want none", rt.events)
	}

	app.Startup(a)(context.Background())
	launch(data)
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if !slices.Equal(rt.events, []string{"raise", app.EventLaunchedAgain}) {
		t.Errorf("events: got %v, want [raise %s]", rt.events, app.EventLaunchedAgain)
	}
}
