package app

import (
	"context"

	wruntime "github.com/wailsapp/wails/v2/pkg/runtime"
)

// Runtime is what the App needs of the Wails runtime. It is an interface so
// that tests run the App without a webview: the real runtime kills a
// process that calls it with a context Wails did not create.
type Runtime interface {
	// Emit sends an event to the frontend.
	Emit(ctx context.Context, name string, data ...any)
	// SaveFile asks the user where to save; "" means they canceled.
	SaveFile(ctx context.Context, title, defaultName string) (string, error)
	// OpenFiles asks the user for image files; nil means they canceled.
	OpenFiles(ctx context.Context, title string) ([]string, error)
	// OpenDirectory asks the user for a folder; "" means they canceled.
	OpenDirectory(ctx context.Context, title string) (string, error)
	// OnFileDrop calls fn with the real paths of files dropped on the window.
	OnFileDrop(ctx context.Context, fn func(paths []string))
	// Raise unminimises the window and brings it to the front.
	Raise(ctx context.Context)
	// OpenURL opens url in the user's browser.
	OpenURL(ctx context.Context, url string)
}

// wailsRuntime is the Runtime of the real app.
type wailsRuntime struct{}

func (wailsRuntime) Emit(ctx context.Context, name string, data ...any) {
	wruntime.EventsEmit(ctx, name, data...)
}

func (wailsRuntime) SaveFile(ctx context.Context, title, defaultName string) (string, error) {
	return wruntime.SaveFileDialog(ctx, wruntime.SaveDialogOptions{Title: title, DefaultFilename: defaultName})
}

func (wailsRuntime) OpenFiles(ctx context.Context, title string) ([]string, error) {
	return wruntime.OpenMultipleFilesDialog(ctx, wruntime.OpenDialogOptions{
		Title:   title,
		Filters: []wruntime.FileFilter{{DisplayName: "Photos (*.jpg, *.jpeg, *.png, *.webp)", Pattern: "*.jpg;*.jpeg;*.png;*.webp;*.JPG;*.JPEG;*.PNG;*.WEBP"}},
	})
}

func (wailsRuntime) OpenDirectory(ctx context.Context, title string) (string, error) {
	return wruntime.OpenDirectoryDialog(ctx, wruntime.OpenDialogOptions{Title: title, CanCreateDirectories: true})
}

func (wailsRuntime) OnFileDrop(ctx context.Context, fn func(paths []string)) {
	wruntime.OnFileDrop(ctx, func(_, _ int, paths []string) { fn(paths) })
}

func (wailsRuntime) Raise(ctx context.Context) {
	wruntime.WindowUnminimise(ctx)
	wruntime.WindowShow(ctx)
}

func (wailsRuntime) OpenURL(ctx context.Context, url string) { wruntime.BrowserOpenURL(ctx, url) }
