// LoRA Studio's desktop app: a Wails v2 window around the React frontend
// in frontend/, with the Go side in app/.
package main

import (
	"context"
	"embed"
	"fmt"
	"os"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"

	"github.com/promptforge/lorastudio/app"
)

//go:embed all:frontend/dist
var assets embed.FS

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	a := new(app.App)
	if !generatingBindings {
		var err error
		a, err = app.New(context.Background(), app.Config{Getenv: os.Getenv, Version: version})
		if err != nil {
			fmt.Fprintln(os.Stderr, "LoRA Studio cannot start:", err)
			os.Exit(1)
		}
	}
	err := wails.Run(&options.App{
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
		Bind:        []interface{}{a},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "LoRA Studio:", err)
		os.Exit(1)
	}
}
