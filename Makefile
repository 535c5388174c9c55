# LoRA Studio. `make run` sets up and starts the desktop app; `make test`
# runs every check CI runs. See README.md.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
GO ?= go
WAILS := .bin/wails
DESKTOP := build/bin/lorastudio-desktop
CLI := build/bin/lorastudio
DEV := build/bin/lorastudio-dev
ARTIFACTS := build/artifacts
LOGS := $(ARTIFACTS)/logs
# wails.json's info.productVersion, +g<commit> unless this is its tag.
VERSION ?= $(shell scripts/version.sh 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)

.PHONY: run serve test build deps frontend dist-placeholder go-test frontend-test e2e smoke clean dist dist-check minio

## run: install what is missing, build, and start the desktop app on its local SQLite store
run: build
	@if [[ -z "$${DISPLAY:-}$${WAYLAND_DISPLAY:-}" ]]; then \
	  echo "run: no display; on a headless machine use: xvfb-run -a make run"; exit 1; fi
	./$(DESKTOP)

## serve: apply the migrations and run the backend on DATABASE_URL (default: the local Postgres)
serve:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(CLI) ./cmd/lorastudio
	./$(CLI) migrate
	./$(CLI) serve

## build: production binaries (desktop app and CLI) under build/bin
build: deps $(WAILS) frontend
	@scripts/quietly.sh "build $(DESKTOP) $(VERSION)" $(LOGS)/build-desktop.log \
	  $(WAILS) build -s -m -nocolour -ldflags "$(LDFLAGS)" -o lorastudio-desktop
	@scripts/quietly.sh "build $(CLI)" $(LOGS)/build-cli.log \
	  $(GO) build -ldflags "$(LDFLAGS)" -o $(CLI) ./cmd/lorastudio

## test: vet, Go tests on a real Postgres, frontend checks, browser E2E, desktop smoke, packages
test: deps frontend/node_modules/.installed dist-placeholder minio
	@scripts/tree-check.sh snapshot $(ARTIFACTS)/tree-before
	scripts/with-postgres.sh $(MAKE) --no-print-directory go-test frontend-test smoke e2e dist-check
	@scripts/tree-check.sh check $(ARTIFACTS)/tree-before

deps:
	@scripts/deps.sh

# The Wails CLI from its own pinned module: v2.9.2 needs a newer x/tools.
$(WAILS): tools/go.mod tools/go.sum
	@scripts/quietly.sh "build $(WAILS)" $(LOGS)/build-wails-cli.log \
	  bash -c 'cd tools && GOBIN=$(CURDIR)/.bin $(GO) install github.com/wailsapp/wails/v2/cmd/wails'

frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	@scripts/quietly.sh "npm ci" $(LOGS)/npm-ci.log bash -c 'cd frontend && npm ci --no-audit --no-fund'
	@touch $@

frontend: frontend/node_modules/.installed
	@scripts/quietly.sh "build frontend/dist" $(LOGS)/build-frontend.log bash -c 'cd frontend && npm run build'

# go vet and go test need a non-empty frontend/dist for main.go's go:embed.
dist-placeholder:
	@mkdir -p frontend/dist && { [[ -n "$$(ls -A frontend/dist)" ]] || touch frontend/dist/.gitkeep; }

# The Go tests of the S3 store run against a real MinIO (internal/s3test),
# built once into .bin from the version s3test.Version names (a few minutes
# cold, seconds from a warm Go cache) and kept there between runs.
MINIO_VERSION := v0.0.0-20260212201848-7aac2a2c5b7c
MINIO := .bin/minio

$(MINIO).$(MINIO_VERSION):
	@scripts/quietly.sh "build $(MINIO) $(MINIO_VERSION)" $(LOGS)/build-minio.log \
	  env GOBIN=$(CURDIR)/.bin $(GO) install github.com/minio/minio@$(MINIO_VERSION)
	@touch $@

## minio: build the MinIO server the Go tests start (LORASTUDIO_MINIO=$PWD/.bin/minio)
minio: $(MINIO).$(MINIO_VERSION)

go-test: $(MINIO).$(MINIO_VERSION)
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy and commit the result"; exit 1; }
	$(GO) vet ./...
	LORASTUDIO_MINIO=$(CURDIR)/$(MINIO) $(GO) test -race -count=1 ./...

frontend-test: frontend/node_modules/.installed
	cd frontend && npm run typecheck && npm test

# The smoke reads the studio's first step from the window's DOM through the dev build.
smoke: build
	$(GO) build -tags dev -ldflags "$(LDFLAGS)" -o $(DEV) .
	scripts/smoke-desktop.sh $(DESKTOP) $(DEV) $(ARTIFACTS)
	scripts/single-instance-desktop.sh $(DESKTOP)

# The desktop's browser E2E runs against a real `lorastudio serve` on DATABASE_URL.
e2e: frontend
	$(GO) build -tags dev -ldflags "$(LDFLAGS)" -o $(DEV) .
	$(GO) build -ldflags "$(LDFLAGS)" -o $(CLI) ./cmd/lorastudio
	cd frontend && node e2e/run.mjs --bin ../$(DEV) --cli ../$(CLI) --artifacts ../$(ARTIFACTS)

clean:
	rm -rf build/bin $(ARTIFACTS) frontend/node_modules

## dist: installable packages under build/dist: .deb, Windows installer, .tar.gz, SHA256SUMS
# nfpm (pinned) builds the .deb; the Windows installer is cross-compiled
# without cgo (the pure-Go JPEG decoder) and packed by makensis.
NFPM_VERSION := v2.45.2
NFPM := .bin/nfpm
WINDOWS_INSTALLER := build/bin/lorastudio-amd64-installer.exe

$(NFPM).$(NFPM_VERSION):
	@scripts/quietly.sh "build $(NFPM) $(NFPM_VERSION)" $(LOGS)/build-nfpm.log \
	  env GOBIN=$(CURDIR)/.bin $(GO) install github.com/goreleaser/nfpm/v2/cmd/nfpm@$(NFPM_VERSION)
	@touch $@

dist: build $(NFPM).$(NFPM_VERSION)
	@scripts/quietly.sh "build $(WINDOWS_INSTALLER)" $(LOGS)/build-windows.log \
	  env CGO_ENABLED=0 $(WAILS) build -platform windows/amd64 -nsis -s -m -skipbindings -nocolour \
	  -ldflags "$(LDFLAGS)" -o lorastudio-desktop.exe
	@NFPM=$(NFPM) scripts/dist.sh $(VERSION) $(WINDOWS_INSTALLER)

# dist-check installs the .deb into a scratch root and starts the installed
# app under Xvfb; see scripts/dist-check.sh for what it proves.
dist-check: dist
	scripts/dist-check.sh build/dist $(ARTIFACTS)/dist-check
