package app

import (
	"github.com/wailsapp/wails/v2/pkg/options"

	"github.com/promptforge/lorastudio/app/instance"
)

// EventLaunchedAgain tells the UI that the user launched LoRA Studio again
// while it ran; the UI says the window was already open.
const EventLaunchedAgain = "instance:second"

// SecondLaunch is given to Wails as the single-instance lock's
// OnSecondInstanceLaunch: the window comes forward, nothing else happens.
func SecondLaunch(a *App) func(options.SecondInstanceData) {
	return instance.OnSecondLaunch(window{a}, a.log)
}

// window is the App's window as package instance sees it. Before Startup
// there is no Wails context, and the real runtime kills a process that
// calls it with another one: then there is no window to raise either.
type window struct{ a *App }

func (w window) Raise() {
	if w.a.started.Load() {
		w.a.rt.Raise(w.a.ctx)
	}
}

func (w window) Notify() {
	if w.a.started.Load() {
		w.a.rt.Emit(w.a.ctx, EventLaunchedAgain)
	}
}
