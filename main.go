// LoRA Studio's desktop app: a Wails v2 window around the React frontend
// in frontend/, with the Go side in app/.
package main

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"os"
	"testing/fstest"
	"time"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	wruntime "github.com/wailsapp/wails/v2/pkg/runtime"

	"github.com/promptforge/lorastudio/app"
	"github.com/promptforge/lorastudio/app/datadir"
	"github.com/promptforge/lorastudio/app/instance"
)

//go:embed all:frontend/dist
var assets embed.FS

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// handOverWait is how long a second launch waits for the first app's
// window to be ready to take it over (the first may still be starting).
const handOverWait = 20 * time.Second

func main() {
	if generatingBindings {
		run(app.Unopened(), nil, "")
		return
	}
	// The data folder's lock comes before its database is opened: a second
	// launch on the same folder never touches it.
	dir, err := datadir.Resolve(os.Getenv)
	if err != nil {
		exit("LoRA Studio cannot start:", err)
	}
	id, err := instance.ID(dir)
	if err != nil {
		exit("LoRA Studio cannot start:", err)
	}
	lock, err := instance.Acquire(dir)
	if errors.Is(err, instance.ErrRunning) {
		lock, err = handOver(dir, id) // returns only when the other app has exited
	}
	if err != nil {
		exit("LoRA Studio cannot start:", err)
	}
	defer lock.Release() // also keeps the lock's file open until the end
	a, err := app.New(context.Background(), app.Config{Getenv: os.Getenv, Version: version})
	if err != nil {
		exit("LoRA Studio cannot start:", err)
	}
	run(a, lock, id)
}

func run(a *app.App, lock *instance.Lock, id string) {
	opts := &options.App{
		Title:            "LoRA Studio",
		Width:            1280,
		Height:           860,
		MinWidth:         960,
		MinHeight:        640,
		AssetServer:      &assetserver.Options{Assets: assets, Handler: app.FileHandler(a)},
		BackgroundColour: &options.RGBA{R: 15, G: 17, B: 21, A: 255},
		OnStartup:        app.Startup(a),
		OnShutdown:       app.Shutdown(a),
		// Go receives the real paths of dropped files and folders.
		DragAndDrop: &options.DragAndDrop{EnableFileDrop: true, DisableWebViewDrop: true},
		Bind:        app.Bound(a),
	}
	if lock != nil {
		opts.SingleInstanceLock = &options.SingleInstanceLock{UniqueId: id, OnSecondInstanceLaunch: app.SecondLaunch(a)}
		// Wails has taken the single-instance name by the time the page
		// loads: from then on a second launch can be handed over.
		opts.OnDomReady = func(context.Context) {
			if err := lock.MarkReady(); err != nil {
				fmt.Fprintln(os.Stderr, "LoRA Studio:", err)
			}
		}
		// A launch while this app closes waits for it to exit, then starts.
		opts.OnShutdown = func(ctx context.Context) {
			lock.MarkStopping()
			app.Shutdown(a)(ctx)
		}
	}
	if err := wails.Run(opts); err != nil {
		exit("LoRA Studio:", err)
	}
}

// handOver runs when another process holds the data folder. It never opens
// the database: it waits until that app is ready, then lets Wails'
// single-instance lock pass this launch to it, which raises its window;
// Wails then ends this process. When that app exits meanwhile (it was
// closing), it returns the lock and this launch goes on as the app.
func handOver(dir, id string) (*instance.Lock, error) {
	lock, ready, err := instance.Wait(dir, handOverWait)
	if lock != nil || err != nil {
		return lock, err
	}
	if !ready {
		fmt.Fprintln(os.Stderr, "LoRA Studio is already running with the data folder", dir)
		os.Exit(1)
	}
	err = wails.Run(&options.App{
		Title:       "LoRA Studio",
		StartHidden: true,
		AssetServer: &assetserver.Options{Assets: fstest.MapFS{
			"index.html": {Data: []byte("<!doctype html><title>LoRA Studio</title>")},
		}},
		SingleInstanceLock: &options.SingleInstanceLock{UniqueId: id},
		// Reached only when Wails could not reach the first app (on Linux,
		// no session bus): this hidden window leaves at once.
		OnDomReady: func(ctx context.Context) { wruntime.Quit(ctx) },
	})
	fmt.Fprintln(os.Stderr, "LoRA Studio is already running with the data folder", dir, "but its window could not be brought forward")
	if err != nil {
		fmt.Fprintln(os.Stderr, "LoRA Studio:", err)
	}
	os.Exit(1)
	return nil, nil // not reached
}

func exit(msg string, err error) {
	fmt.Fprintln(os.Stderr, msg, err)
	os.Exit(1)
}
