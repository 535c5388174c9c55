// Browser end-to-end test of the desktop app: the real Go binary (built with
// -tags dev) serves the real frontend and its Go bindings; Debian's chromium,
// driven by playwright-core, clicks through it. Nothing is mocked.
//
//   node e2e/run.mjs --bin ../build/bin/lorastudio-dev --artifacts ../build/artifacts
//
// It starts the binary itself under xvfb-run (the dev binary still opens a
// GTK window) with a throwaway LORASTUDIO_DATA_DIR, on a free port.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { createHash, randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";

const { values: args } = parseArgs({
  options: {
    bin: { type: "string" },
    cli: { type: "string" },
    artifacts: { type: "string", default: "../build/artifacts" },
    chromium: { type: "string", default: process.env.CHROMIUM || "/usr/bin/chromium" },
  },
});
if (!args.bin || !args.cli) {
  console.error("usage: node e2e/run.mjs --bin DESKTOP_DEV_BINARY --cli LORASTUDIO_CLI [--artifacts DIR]");
  process.exit(2);
}
const bin = path.resolve(args.bin);
const cli = path.resolve(args.cli);
const artifacts = path.resolve(args.artifacts);
mkdirSync(artifacts, { recursive: true });
const distDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..", "dist");
const repoRoot = path.resolve(distDir, "..", "..");

const CHROMIUM_FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function startApp(dataDir) {
  const port = await freePort();
  const logs = [];
  const child = spawn(
    "xvfb-run",
    ["-a", "-s", "-screen 0 1280x900x24", bin, "-devserver", `localhost:${port}`, "-assetdir", distDir],
    // A 2 MB/s cap makes the upload slow enough to kill half-way.
    { env: { ...process.env, LORASTUDIO_DATA_DIR: dataDir, LORASTUDIO_UPLOAD_LIMIT: "2000000" }, detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout.on("data", (d) => logs.push(d.toString()));
  child.stderr.on("data", (d) => logs.push(d.toString()));
  const url = `http://localhost:${port}/`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`app exited with ${child.exitCode}:\n${logs.join("")}`);
    try {
      const res = await fetch(url);
      if (res.ok) return { url, logs, stop: () => stopApp(child), crash: () => stopApp(child, "SIGKILL") };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  stopApp(child);
  throw new Error(`app did not serve ${url} within 60 s:\n${logs.join("")}`);
}

// startBackend runs the real `lorastudio serve` on its own throwaway
// database (DATABASE_URL's server) and blob folder.
async function startBackend(blobDir) {
  const base = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test?sslmode=disable";
  const name = `lorastudio_e2e_${Date.now()}`;
  execFileSync("psql", [base, "-qc", `CREATE DATABASE ${name}`]);
  const u = new URL(base);
  u.pathname = `/${name}`;
  const port = await freePort();
  const workerPort = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const secret = () => `whsec_${randomBytes(24).toString("base64")}`;
  const dispatchSecret = secret();
  const webhookSecret = secret();
  const env = {
    ...process.env,
    DATABASE_URL: u.toString(),
    LORASTUDIO_BLOB_DIR: blobDir,
    LORASTUDIO_PUBLIC_URL: url,
    LORASTUDIO_WORKER_URL: `http://127.0.0.1:${workerPort}`,
    LORASTUDIO_DISPATCH_SECRET: dispatchSecret,
    LORASTUDIO_WEBHOOK_SECRETS: webhookSecret,
    LORASTUDIO_QUEUE_POLL: "200ms",
    LORASTUDIO_MULTIPART_FROM: "6291456", // the phone-sized photo goes in parts
  };
  execFileSync(cli, ["migrate"], { env });
  const logs = [];
  // The reference GPU worker with the test trainer: a script that trains
  // nothing and writes a genuine tiny LoRA (see internal/worker/testdata).
  const worker = spawn(cli, ["worker", "--addr", `127.0.0.1:${workerPort}`], {
    env: {
      ...process.env,
      LORASTUDIO_WORKER_SECRET: dispatchSecret,
      LORASTUDIO_WORKER_WEBHOOK_SECRET: webhookSecret,
      LORASTUDIO_WORKER_TRAINER: path.join(repoRoot, "internal", "worker", "testdata", "fake-trainer.sh"),
      // The test double of a captioner: deterministic text from each image's bytes.
      LORASTUDIO_WORKER_CAPTIONER: path.join(repoRoot, "internal", "worker", "testdata", "fake-captioner.sh"),
      LORASTUDIO_WORKER_DIR: path.join(blobDir, "worker"),
      FAKE_TRAINER_MS_PER_KSTEP: "1500",
      // The test trainer copies the dataset it was given here: the worker
      // deletes its photos and captions once the job ends.
      FAKE_TRAINER_DATASET_COPY: path.join(blobDir, "trained-datasets"),
      // Not Flux schnell: the app must offer what this server trains, not what it knows.
      LORASTUDIO_WORKER_BASE_MODELS: "flux-dev,sdxl",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  worker.stderr.on("data", (d) => logs.push(d.toString()));
  const child = spawn(cli, ["serve", "--addr", `127.0.0.1:${port}`], { env, stdio: ["ignore", "pipe", "pipe"] });
  child.stderr.on("data", (d) => logs.push(d.toString()));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    logs,
    stop: async () => {
      for (const p of [child, worker]) {
        p.kill("SIGTERM");
        await new Promise((r) => (p.exitCode !== null ? r() : p.once("exit", r)));
      }
      execFileSync("psql", [base, "-qc", `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]);
    },
  };
}

function stopApp(child, signal = "SIGTERM") {
  // xvfb-run, Xvfb and the app share a process group: end them together.
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
  return new Promise((r) => (child.exitCode !== null ? r() : child.once("exit", r)));
}

const results = [];
async function check(name, fn) {
  const started = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (err) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name}: ${err.stack || err}`);
  }
}

function assertEqual(got, want, what) {
  if (JSON.stringify(got) !== JSON.stringify(want)) {
    throw new Error(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  }
}

const sha256File = (p) => createHash("sha256").update(readFileSync(p)).digest("hex");

// loadedSamples counts the sample images inside sel that really loaded.
const loadedSamples = (page, sel) =>
  page.evaluate((s) => [...document.querySelectorAll(`${s} img`)].filter((i) => i.complete && i.naturalWidth > 0).length, sel);

// openStep opens one of the studio's steps from its list, as a person would.
async function openStep(page, name, nav = "Steps") {
  await page.getByRole("navigation", { name: nav }).getByRole("button", { name: new RegExp(`^${name}\\b`) }).click();
  await page.locator(`[aria-current="step"]`).getByText(name, { exact: true }).waitFor();
}

// currentStep is the name of the step the list marks as the one shown.
const currentStep = async (page) => (await page.locator('[aria-current="step"] span.font-medium').textContent()).trim();

// stepShot keeps a picture of a step, numbered in the order a person meets them.
const stepShot = (page, lang, n, id) => page.screenshot({ path: path.join(artifacts, `step-${lang}-${n}-${id}.png`), fullPage: true });

async function pick(page, comboboxName, optionName) {
  await page.getByRole("combobox", { name: comboboxName }).click();
  await page.getByRole("option", { name: optionName, exact: true }).click();
}

const dataDir = mkdtempSync(path.join(tmpdir(), "lorastudio-e2e-data-"));
const profile = mkdtempSync(path.join(tmpdir(), "lorastudio-e2e-profile-"));
const blobDir = mkdtempSync(path.join(tmpdir(), "lorastudio-e2e-blob-"));
let app;
let browser;
let backend;
try {
  backend = await startBackend(blobDir);
  app = await startApp(dataDir);
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: args.chromium,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1280, height: 860 },
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  const consoleErrors = [];
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  await page.goto(app.url);
  await page.waitForFunction(() => window.go && window.go.app && window.runtime, null, { timeout: 30_000 });

  await check("a newcomer meets the steps, on the first one: consent, the rest locked with the reason", async () => {
    await page.getByRole("heading", { name: "LoRA Studio" }).waitFor();
    await page.getByTestId("step-title").getByText("Your consent").waitFor();
    assertEqual(await currentStep(page), "Consent", "the step shown first");
    const photos = page.getByRole("navigation", { name: "Steps" }).getByRole("button", { name: /^Photos\b/ });
    const says = (await photos.textContent()).trim();
    if (!/Locked.*Give your consent first/.test(says)) throw new Error(`the locked Photos step says: ${says}`);
    if (!(await page.getByTestId("next-step").isDisabled())) throw new Error("Next is enabled before consent");
    await stepShot(page, "en", 1, "consent");
  });

  await check("the studio shell shows both dropdowns with the defaults from Go", async () => {
    await openStep(page, "Use");
    const platform = page.getByRole("combobox", { name: "Target Platform" });
    await platform.waitFor();
    assertEqual((await platform.textContent()).trim(), "Veo 3.1", "default target platform");
    await openStep(page, "Train");
    const model = page.getByRole("combobox", { name: "Trainable Base Model" });
    assertEqual((await model.textContent()).trim(), "Flux dev", "default base model");
  });

  await check("the trainable list holds only base models, never a target platform", async () => {
    await page.getByRole("combobox", { name: "Trainable Base Model" }).click();
    const options = await page.getByRole("option").allTextContents();
    assertEqual(
      options,
      ["Flux dev", "Flux schnell", "SDXL", "FLUX.2 dev", "FLUX.2 klein 9B", "FLUX.2 klein 4B", "Qwen-Image-2512", "Z-Image", "Z-Image Turbo", "Wan 2.2 T2V 14B (video)"],
      "trainable base models (signed out: every one LoRA Studio knows)",
    );
    await page.keyboard.press("Escape");
    await openStep(page, "Use");
    await page.getByRole("combobox", { name: "Target Platform" }).click();
    const platforms = await page.getByRole("option").allTextContents();
    assertEqual(platforms, ["Sora 2 Pro Max", "Sora 2", "Sora 2 Pro", "Veo 3.1 Fast", "Veo 3.1", "Grok 3"], "target platforms");
    await page.keyboard.press("Escape");
  });

  await check("picking a target platform and a base model reaches Go", async () => {
    await pick(page, "Target Platform", "Sora 2 Pro Max");
    await page.getByTestId("selection-status").getByText("Sora 2 Pro Max").waitFor();
    await openStep(page, "Train");
    await pick(page, "Trainable Base Model", "SDXL");
    await page.getByTestId("selection-status").getByText("SDXL").waitFor();
    const fromGo = await page.evaluate(() => window.go.app.App.GetSelection());
    assertEqual(fromGo, { target_platform: "sora-2-pro-max", base_model: "sdxl" }, "selection read back from Go");
    await page.screenshot({ path: path.join(artifacts, "e2e-studio.png"), fullPage: true });
  });

  await check("Go refuses a target platform as a base model, with a readable error", async () => {
    const err = await page.evaluate(() =>
      window.go.app.App.SetSelection({ target_platform: "veo-3.1", base_model: "sora-2" }).then(
        () => "accepted",
        (e) => String(e),
      ),
    );
    if (!err.startsWith("unknown_base_model: ")) throw new Error(`got ${err}`);
  });

  await check("the choice survives a restart of the app", async () => {
    await app.stop();
    app = await startApp(dataDir);
    await page.goto(app.url);
    await page.waitForFunction(() => window.go && window.go.app, null, { timeout: 30_000 });
    await openStep(page, "Use");
    const platform = page.getByRole("combobox", { name: "Target Platform" });
    await platform.waitFor();
    assertEqual((await platform.textContent()).trim(), "Sora 2 Pro Max", "target platform after restart");
    await openStep(page, "Train");
    assertEqual(
      (await page.getByRole("combobox", { name: "Trainable Base Model" }).textContent()).trim(),
      "SDXL",
      "base model after restart",
    );
  });

  const repo = path.resolve(distDir, "..", "..");
  const personDir = path.join(repo, "internal", "dataset", "testdata", "person");
  const frames = readdirSync(personDir).filter((f) => f.endsWith(".jpg")).sort();
  const noFace = path.join(repo, "internal", "dataset", "testdata", "photos", "skimage_rocket.jpg");
  // One phone-sized, grainy photo (a frame scaled to 12 MP), so the upload
  // has a multipart file to interrupt.
  const bigPhoto = path.join(blobDir, "cap13_10_phone.jpg");
  execFileSync("convert", [path.join(personDir, frames[19]), "-resize", "4000x3000!", "-attenuate", "0.6", "+noise", "Gaussian", "-quality", "95", bigPhoto]);

  await check("consent is asked before any photo, and recorded through Go", async () => {
    const refused = await page.evaluate((p) => window.go.app.DatasetService.ImportFiles([p]).then(() => "accepted", (e) => String(e)), noFace);
    if (!refused.startsWith("consent_required: ")) throw new Error(`import before consent: ${refused}`);
    await openStep(page, "Consent");
    const give = page.getByRole("button", { name: "I consent" });
    await give.waitFor();
    if (!(await give.isDisabled())) throw new Error("consent button enabled before the attestation");
    await page.getByRole("checkbox", { name: /Every photo I add shows me/ }).check();
    await give.click();
    // Consent given, the studio moves on to the photos by itself.
    await page.getByTestId("dataset-panel").waitFor();
    assertEqual(await currentStep(page), "Photos", "the step after consent");
    await stepShot(page, "en", 2, "photos");
  });

  await check("20 photos come in through the drop's Go path, with progress, and a bad one is flagged", async () => {
    // A native drop cannot be simulated under Xvfb: call the method the drop handler calls.
    const files = [...frames.slice(0, 19).map((f) => path.join(personDir, f)), noFace];
    const events = await page.evaluate(async (paths) => {
      const seen = [];
      const off = window.runtime.EventsOn("dataset:import", (p) => seen.push(p.done));
      const res = await window.go.app.DatasetService.ImportFiles(paths);
      // Events travel apart from the call's answer: give the last one a moment.
      for (let i = 0; i < 40 && seen.length < paths.length; i++) await new Promise((r) => setTimeout(r, 50));
      off();
      return { seen, added: res.added.length };
    }, files);
    assertEqual(events.added, 20, "photos added");
    if (events.seen.length !== 20) throw new Error(`got ${events.seen.length} progress events, want 20`);
    await page.getByTestId("photo-count").getByText("20 photos").waitFor();
    await openStep(page, "Check");
    await page.getByRole("spinbutton", { name: "Smallest short side in pixels" }).fill("256");
    await page.getByRole("button", { name: "Validate dataset" }).click();
    const rocket = page.getByTestId("photo-skimage_rocket.jpg");
    await rocket.and(page.locator('[data-state="error"]')).waitFor();
    const text = await rocket.textContent();
    if (!/face/i.test(text)) throw new Error(`the bad photo does not say why: ${text}`);
    // Training stays locked, and the list says why.
    const train = (await page.getByRole("navigation", { name: "Steps" }).getByRole("button", { name: /^Train\b/ }).textContent()).trim();
    if (!/Locked.*Check your photos first/.test(train)) throw new Error(`the Train step on a failing dataset says: ${train}`);
    if (!(await page.getByTestId("next-step").isDisabled())) throw new Error("Next: Train enabled on a failing dataset");
    const loaded = await page.evaluate(() => [...document.querySelectorAll('[aria-label="Photos"] img')].filter((i) => i.naturalWidth > 0).length);
    assertEqual(loaded, 20, "thumbnails shown");
    await page.screenshot({ path: path.join(artifacts, "e2e-2-bad-photo-flagged.png"), fullPage: true });
  });

  await check("a photo of someone else is named on its card and in the set's identity, and one click removes it", async () => {
    const other = path.join(repo, "internal", "face", "testdata", "grace_hopper.jpg");
    await page.evaluate((p) => window.go.app.DatasetService.ImportFiles([p]), other);
    await page.getByTestId("photo-count").getByText("21 photos").waitFor();
    await page.getByRole("button", { name: "Validate dataset" }).click();
    const card = page.getByTestId("photo-grace_hopper.jpg");
    await card.and(page.locator('[data-state="error"]')).waitFor();
    if (!/Someone else/.test(await card.textContent())) throw new Error(`the other person's card does not say so: ${await card.textContent()}`);
    const identity = page.getByTestId("identity");
    const caption = (await identity.getByTestId("identity-caption").textContent()).trim();
    if (!/will learn: 19 of 20 photos match/.test(caption)) throw new Error(`identity caption: ${caption}`);
    const ref = identity.getByTestId("reference-face");
    if (!/^Your reference face, from cap1[23]_\d\d\.jpg$/.test(await ref.getAttribute("alt"))) throw new Error(`reference face alt: ${await ref.getAttribute("alt")}`);
    if (!(await ref.evaluate((i) => i.naturalWidth > 0))) throw new Error("the reference face did not load");
    assertEqual(await page.getByRole("list", { name: "Photos of someone else" }).getByRole("listitem").allTextContents(), ["grace_hopper.jpg"], "photos of someone else");
    await page.screenshot({ path: path.join(artifacts, "e2e-2b-someone-else.png"), fullPage: true });
    await identity.getByRole("button", { name: "Remove this photo" }).click();
    await page.getByTestId("photo-count").getByText("20 photos").waitFor();
  });

  await check("replacing the bad photo and validating again passes, training still needs sign-in", async () => {
    await page.getByRole("button", { name: "Remove skimage_rocket.jpg" }).click();
    await page.getByTestId("photo-count").getByText("19 photos").waitFor();
    await page.evaluate((p) => window.go.app.DatasetService.ImportFiles([p]), bigPhoto);
    await page.getByTestId("photo-count").getByText("20 photos").waitFor();
    await page.getByRole("button", { name: "Validate dataset" }).click();
    await page.getByText("This dataset passes: it can be trained.").waitFor();
    await stepShot(page, "en", 3, "check");
    const caption = (await page.getByTestId("identity-caption").textContent()).trim();
    if (!/will learn: (\d+) of \1 photos match/.test(caption)) throw new Error(`identity caption on a one-person set: ${caption}`);
    await page.getByTestId("next-step").click(); // Next: Train
    assertEqual(await currentStep(page), "Train", "the step after a passing check");
    const button = page.getByTestId("start-training");
    if (!(await button.isDisabled())) throw new Error("Start training enabled without sign-in");
    assertEqual((await page.getByTestId("training-reason").textContent()).trim(), "Sign in to a LoRA Studio server to train.", "reason on the disabled button");
    await page.screenshot({ path: path.join(artifacts, "e2e-3-validated.png"), fullPage: true });
  });

  // A caption the user writes before the upload; the worker must train on it.
  const beach = "a photo of {trigger} person laughing at the beach";
  await check("a photo's caption is edited on its card in the Photos step, checked by Go, and the dataset stays validated", async () => {
    await openStep(page, "Photos");
    const card = page.getByTestId(`photo-${frames[0]}`);
    const field = card.getByRole("textbox", { name: `Caption of ${frames[0]}` });
    assertEqual(await field.getAttribute("placeholder"), "a photo of {trigger} person", "an empty caption's placeholder");
    await page.getByTestId("caption-hint").getByText(/Write \{trigger\} where the trigger word goes/).waitFor();
    // Go refuses a caption that does not name the person, and says how.
    await field.fill("a photo of me at the beach");
    await field.press("Enter");
    await card.getByRole("alert").getByText(/a caption must name the person as \{trigger\}/).waitFor();
    await field.fill(beach);
    await field.press("Enter");
    await card.getByText("Saved").waitFor();
    if (await card.getByRole("alert").count()) throw new Error("the refusal is still shown after a valid caption");
    await card.screenshot({ path: path.join(artifacts, "e2e-3b-caption-edited.png") });
    const items = await page.evaluate(() => window.go.app.DatasetService.DatasetItems());
    const it = items.find((i) => i.name === frames[0]);
    assertEqual([it.caption, it.caption_source], [beach, "user"], "the caption read back from Go");
    // Captions change the hash, not what validation found: training is not locked again.
    const train = (await page.getByRole("navigation", { name: "Steps" }).getByRole("button", { name: /^Train\b/ }).textContent()).trim();
    if (/Locked/.test(train)) throw new Error(`the Train step after a caption edit says: ${train}`);
    await openStep(page, "Train");
  });

  await check("signing in to the real backend (consent and base models follow it) and uploading, killed half-way and resumed, with progress", async () => {
    await page.getByLabel("Server address").fill(backend.url);
    await page.getByLabel("Email").fill(`e2e-${Date.now()}@example.com`);
    await page.getByLabel("Password").fill("a long passphrase");
    await page.getByLabel("Create an account on this server").check();
    await page.getByRole("button", { name: "Create account" }).click();
    await page.getByTestId("signed-in").waitFor();
    // The consent given before sign-in goes through the outbox; the trainable list is now the server's.
    await openStep(page, "Consent");
    await page.getByTestId("consent-status").getByText("Recorded on the server too.").waitFor({ timeout: 15_000 });
    await openStep(page, "Train");
    await page.locator('[data-testid="base-model-source"][data-source="server"]').waitFor();
    await page.getByRole("combobox", { name: "Trainable Base Model" }).click();
    assertEqual(await page.getByRole("option").allTextContents(), ["Flux dev", "SDXL"], "base models the server's worker trains");
    await page.keyboard.press("Escape");
    await page.evaluate(() => {
      window.__syncEvents = 0;
      window.__syncDone = 0;
      window.runtime.EventsOn("sync:progress", (p) => {
        window.__syncEvents++;
        window.__syncDone = p.done / p.total;
      });
    });
    await page.getByRole("button", { name: "Upload to server" }).click();
    await page.getByRole("progressbar", { name: "Upload progress" }).waitFor();
    await page.waitForFunction(() => window.__syncDone > 0.4, null, { timeout: 60_000 });
    const events = await page.evaluate(() => window.__syncEvents);
    if (events < 10) throw new Error(`only ${events} upload progress events before the kill`);
    await page.screenshot({ path: path.join(artifacts, "e2e-4-uploading.png"), fullPage: true });
    // Kill the app half-way, as a crash or a pulled plug would, then start again.
    await app.crash();
    app = await startApp(dataDir);
    await page.goto(app.url);
    await page.waitForFunction(() => window.go && window.go.app, null, { timeout: 30_000 });
    // Validated, not trained yet: the studio opens where the work stands.
    await page.getByTestId("signed-in").waitFor();
    assertEqual(await currentStep(page), "Train", "the step shown after a restart");
    await page.getByRole("button", { name: "Upload to server" }).click();
    try {
      await page.getByTestId("sync-result").getByText(/found the dataset validated/).waitFor({ timeout: 60_000 });
    } catch (err) {
      const alerts = await page.getByRole("alert").allTextContents();
      await page.screenshot({ path: path.join(artifacts, "e2e-failed-upload.png"), fullPage: true });
      const panel = (await page.getByTestId("upload-panel").textContent()).slice(-400);
      throw new Error(`no upload result; alerts: ${alerts.join(" | ") || "none"}; panel ends: ${panel}; app log: ${app.logs.join("").slice(-1500)}`);
    }
    const resent = await page.getByTestId("sync-result").textContent();
    const m = /([0-9.]+) MB were sent again/.exec(resent.replace(/[\u00a0\u202f]/g, " "));
    if (!m) throw new Error(`the resumed upload does not say what it sent again: ${resent}`);
    // Only the parts in flight at the kill go again: at most the big photo.
    const bigMB = statSync(bigPhoto).size / 1e6;
    if (!(Number(m[1]) > 0 && Number(m[1]) <= bigMB + 0.1)) throw new Error(`re-sent ${m[1]} MB; want more than 0 and at most the ${bigMB.toFixed(1)} MB photo in flight`);
    console.log(`     resumed after a kill at >40%: ${m[1]} MB sent again`);
    if (await page.getByTestId("start-training").isDisabled()) throw new Error("Start training still disabled after a validated upload");
    await page.screenshot({ path: path.join(artifacts, "e2e-4-uploaded.png"), fullPage: true });
  });

  await check("the worker's captioner suggests captions in the Train step; they hold training until reviewed and used", async () => {
    const review = page.getByTestId("captions-review");
    await review.getByTestId("captions-ready").waitFor();
    await review.getByRole("button", { name: "Suggest captions (worker's captioner)" }).click();
    await review.locator('[data-testid="caption-run"][data-status="done"]').waitFor({ timeout: 60_000 });
    await review.getByTestId("captions-pending").getByText("19 suggestions to review: read them, fix what is wrong, then use them.").waitFor();
    const start = page.getByTestId("start-training");
    if (!(await start.isDisabled())) throw new Error("Start training enabled with suggestions to review");
    assertEqual((await page.getByTestId("training-reason").textContent()).trim(), "Review the suggested captions, then press Use these captions.", "reason on the disabled button");
    // The fake captioner's text is a function of the bytes the worker got:
    // the stripped copy this app uploaded, as its upload session recorded it.
    const stripped = execFileSync("python3", ["-c", `
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("SELECT f.stripped_path FROM sync_upload_files f JOIN sync_uploads s ON s.id = f.upload_id WHERE f.name = ? ORDER BY s.created_at DESC LIMIT 1", (sys.argv[2],)).fetchone()[0])
`, path.join(dataDir, "lorastudio.db"), frames[1]]).toString().trim();
    const want = `a photo of {trigger} person, a person, photo ${sha256File(stripped).slice(0, 8)}, ${statSync(stripped).size} bytes`;
    const suggested = review.getByTestId(`caption-${frames[1]}`);
    await suggested.getByText("Suggestion").waitFor();
    assertEqual(await suggested.getByRole("textbox").inputValue(), want, "the captioner's suggestion for " + frames[1]);
    // The caption written before the upload was not the captioner's to replace.
    assertEqual(await review.getByTestId(`caption-${frames[0]}`).getByRole("textbox").inputValue(), beach, "the user's own caption");
    await page.screenshot({ path: path.join(artifacts, "e2e-4c-captions-suggested.png"), fullPage: true });
    await review.screenshot({ path: path.join(artifacts, "e2e-4d-captions-review.png") });
    await review.getByRole("button", { name: "Use these captions" }).click();
    await review.getByTestId("captions-ready").waitFor();
    if (await start.isDisabled()) throw new Error(`Start training still disabled after the review: ${await page.getByTestId("training-reason").textContent()}`);
    const st = await page.evaluate(() => window.go.app.DatasetService.Captions());
    assertEqual([st.suggested, st.unsent, st.ready.allowed], [0, 0, true], "captions state read from Go");
  });

  await check("training runs on the reference worker to a ready version, activated, still shown after a restart", async () => {
    // Override the preset within its bounds: the server accepts it.
    await page.getByText(/Advanced training settings/).click();
    await page.getByRole("spinbutton", { name: /^Steps/ }).fill("500");
    await page.getByTestId("start-training").click();
    const status = page.getByTestId("job-status");
    await status.waitFor();
    await page.locator('[data-testid="job-status"][data-status="succeeded"]').waitFor({ timeout: 120_000 });
    const v1 = page.getByTestId("version-1");
    await v1.getByText("ready").waitFor();
    // The dataset the worker prepared, as the trainer was given it: each
    // photo's caption file, the trigger word in place. The worker itself
    // keeps none of it once the job has ended.
    const jobDirs = readdirSync(path.join(blobDir, "worker"), { withFileTypes: true }).filter((d) => d.isDirectory() && d.name.startsWith("dk_"));
    const kept = jobDirs.filter((d) => existsSync(path.join(blobDir, "worker", d.name, "images")));
    if (kept.length) throw new Error(`the worker kept photos after the job: ${kept.map((d) => d.name)}`);
    const captions = jobDirs.flatMap((d) => {
      const seen = path.join(blobDir, "trained-datasets", d.name);
      return existsSync(seen) ? readdirSync(seen).filter((f) => f.endsWith(".txt")).map((f) => readFileSync(path.join(seen, f), "utf8").trim()) : [];
    });
    assertEqual(captions.length, 20, "caption files the worker trained with");
    if (!captions.includes("a photo of ohwx person laughing at the beach")) throw new Error(`the edited caption is not among the worker's: ${JSON.stringify(captions.slice(0, 3))}…`);
    if (captions.filter((c) => /^a photo of ohwx person, a person, photo [0-9a-f]{8}, \d+ bytes$/.test(c)).length !== 19) throw new Error(`the accepted suggestions are not the worker's captions: ${JSON.stringify(captions)}`);
    if (captions.some((c) => c.includes("{trigger}"))) throw new Error("a caption reached the trainer with {trigger} unreplaced");
    await v1.getByRole("button", { name: "Activate" }).click();
    await v1.getByText("active at 0.80").waitFor(); // SDXL's default weight
    await stepShot(page, "en", 4, "train");
    const identity = await page.evaluate(() => window.go.app.TrainingService.Versions().then((r) => r.versions.filter((v) => v.active).map((v) => v.number)));
    assertEqual(identity, [1], "active versions read from Go");
    await page.getByTestId("training-panel").screenshot({ path: path.join(artifacts, "e2e-5-trained-and-active.png") });
    // After a restart the app shows the same truth: the job it followed and the active version.
    await app.stop();
    app = await startApp(dataDir);
    await page.goto(app.url);
    await page.waitForFunction(() => window.go && window.go.app, null, { timeout: 30_000 });
    // Every step done: the studio opens on the last, Use.
    await page.getByTestId("step-title").getByText("Use your likeness").waitFor();
    await openStep(page, "Train");
    await page.locator('[data-testid="job-status"][data-status="succeeded"]').waitFor();
    await page.getByTestId("version-1").getByText("active at 0.80").waitFor();
  });

  let loraFiles = []; // the download and the installed copy: withdrawal erases both
  await check("v1 is downloaded into the data folder with progress, verified, and installed into a ComfyUI folder, asking before replacing", async () => {
    // The native folder dialog cannot be driven under Xvfb: call the method it leads to.
    const comfy = path.join(blobDir, "elsewhere", "ComfyUI", "models", "loras");
    mkdirSync(comfy, { recursive: true });
    const added = await page.evaluate((p) => window.go.app.LoRAService.AddInstallFolder(p), comfy);
    assertEqual([added.app, added.path], ["ComfyUI", comfy], "the folder the dialog would add");
    await page.evaluate(() => {
      window.__dl = [];
      window.runtime.EventsOn("download:progress", (p) => window.__dl.push(p));
    });
    const v1 = page.getByTestId("version-1");
    await v1.getByRole("button", { name: "Download", exact: true }).click();
    await v1.getByTestId("downloaded").waitFor({ timeout: 60_000 });
    const events = await page.evaluate(() => window.__dl);
    const last = events[events.length - 1];
    if (!last || last.total <= 0 || last.done !== last.total) throw new Error(`download progress did not reach 100%: ${JSON.stringify(events)}`);
    const file = await page.evaluate(() => window.go.app.TrainingService.Versions().then((r) => r.versions.find((v) => v.number === 1).download));
    if (path.dirname(file.path) !== path.join(dataDir, "loras")) throw new Error(`downloaded to ${file.path}, want the data folder's loras/`);
    assertEqual(sha256File(file.path), file.sha256, "sha256 of the downloaded file");
    assertEqual(statSync(file.path).size, last.total, "size of the downloaded file");
    if (!/^[a-z0-9-]+-v1-sdxl\.safetensors$/.test(file.filename)) throw new Error(`file name ${file.filename}`);
    await page.getByRole("combobox", { name: "Install v1 into" }).selectOption(comfy);
    await v1.getByRole("button", { name: "Install", exact: true }).click();
    const installed = v1.getByTestId("installed");
    await installed.getByText(`The compiled ComfyUI workflow then loads exactly ${file.filename}`).waitFor();
    const target = path.join(comfy, file.filename);
    assertEqual(sha256File(target), file.sha256, "sha256 of the installed file");
    // Another file under that name is never replaced without asking.
    writeFileSync(target, "somebody else's LoRA");
    await v1.getByRole("button", { name: "Install", exact: true }).click();
    const ask = page.getByRole("alertdialog", { name: "Replace the file?" });
    await ask.getByText(`ComfyUI's folder already has a different ${file.filename} — Replace it?`).waitFor();
    assertEqual(readFileSync(target, "utf8"), "somebody else's LoRA", "the other file before the answer");
    await page.getByTestId("training-panel").screenshot({ path: path.join(artifacts, "e2e-5c-install-conflict.png") });
    await ask.getByRole("button", { name: "Replace" }).click();
    await installed.waitFor();
    assertEqual(sha256File(target), file.sha256, "sha256 of the replaced file");
    loraFiles = [file.path, target];
    await page.getByTestId("training-panel").screenshot({ path: path.join(artifacts, "e2e-5d-downloaded-installed.png") });
  });

  await check("a long training shows its log and is canceled from the app; its version is marked failed", async () => {
    await page.getByText(/Advanced training settings/).click(); // closed again since the restart
    await page.getByRole("spinbutton", { name: /^Steps/ }).fill("6000");
    await page.getByTestId("start-training").click();
    await page.locator('[data-testid="job-status"][data-status="running"]').waitFor({ timeout: 60_000 });
    // The worker's log reaches the window through the backend while it trains.
    await page.getByLabel("Training log").getByText(/fake trainer: 20 photos/).waitFor({ timeout: 30_000 });
    // Samples of the checkpoints saved so far show while it trains.
    await page.waitForFunction((sel) => [...document.querySelectorAll(`${sel} img`)].some((i) => i.complete && i.naturalWidth > 0), '[data-testid="checkpoints"]', { timeout: 30_000 });
    const running = await page.getByTestId("job-status").getAttribute("data-status");
    assertEqual(running, "running", "job status while its samples show");
    console.log(`     ${await loadedSamples(page, '[data-testid="checkpoints"]')} samples loaded while training`);
    await page.getByTestId("training-panel").screenshot({ path: path.join(artifacts, "e2e-5e-samples-while-training.png") });
    await page.getByRole("button", { name: "Cancel training" }).click();
    await page.getByText("Training canceled: the version it was making is marked failed.").waitFor();
    await page.getByTestId("version-2").getByText("failed").waitFor();
    const v2 = await page.evaluate(() => window.go.app.TrainingService.Versions().then((r) => r.versions.find((v) => v.number === 2)));
    assertEqual([v2.status, v2.active], ["failed", false], "the canceled version read from Go");
    await page.getByTestId("version-1").getByText("active at 0.80").waitFor(); // the active one is untouched
    await page.getByTestId("training-panel").screenshot({ path: path.join(artifacts, "e2e-5b-canceled.png") });
  });

  await check("the compiled prompt has a LoRA block for Flux dev and none for Veo 3.1", async () => {
    await openStep(page, "Use");
    const preview = page.getByTestId("compiled-prompt");
    await pick(page, "Compile for", "Flux dev (loads the LoRA)");
    // Opened after v1 was downloaded and activated: its file name and weight are filled in.
    await page.getByTestId("compile-filled").waitFor();
    await preview.getByText(/<lora:[a-z0-9-]+-v1-sdxl:0\.80>/).waitFor();
    await pick(page, "Compile for", "Veo 3.1");
    await page.getByText("no LoRA block: this platform cannot load one").waitFor();
    const text = await preview.textContent();
    if (/<lora:|ohwx/.test(text)) throw new Error(`Veo prompt carries a LoRA block or trigger: ${text}`);
    await page.getByTestId("compile-panel").screenshot({ path: path.join(artifacts, "e2e-6-compile-veo.png") });
    await stepShot(page, "en", 5, "use");
  });

  await check("a Character Pack for Veo 3.1 is exported and opens with every checksum right", async () => {
    // The native save dialog cannot be driven under Xvfb: call the method
    // the dialog leads to, with the path a user would have picked.
    const out = path.join(blobDir, "me-veo.zip");
    const exported = await page.evaluate(
      (p) =>
        window.go.app.CompileService.ExportPackTo(
          { platform: "veo-3.1", prompt: { text: "walks along a harbour at dusk" }, identity: { name: "me", describe: "short dark hair" }, options: { references: -1 } },
          p,
        ),
      out,
    );
    assertEqual(exported.references, 3, "Veo reference photos in the pack");
    // Open it with something that is not our code: Python's zipfile checks
    // every entry's CRC, and we check every sha256 the manifest lists.
    const listing = execFileSync("python3", ["-c", `
import hashlib, json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None
m = json.loads(z.read("manifest.json"))
bad = [f["path"] for f in m["files"] if hashlib.sha256(z.read(f["path"])).hexdigest() != f["sha256"]]
assert not bad, bad
assert "<lora:" not in z.read("prompt.txt").decode()
print(json.dumps(sorted(z.namelist())))
`, out]).toString();
    const names = JSON.parse(listing);
    for (const want of ["manifest.json", "prompt.txt", "instructions.md", "params.json"]) {
      if (!names.includes(want)) throw new Error(`pack lacks ${want}: ${names}`);
    }
    if (names.filter((n) => n.startsWith("references/")).length !== 3) throw new Error(`references: ${names}`);
  });

  await check("withdrawing consent erases the photos here and on the server", async () => {
    await openStep(page, "Consent");
    await page.getByRole("button", { name: "Withdraw consent…" }).click();
    const ask = page.getByRole("alertdialog", { name: "Withdraw consent" });
    await ask.waitFor();
    await ask.screenshot({ path: path.join(artifacts, "e2e-7-withdraw-asks.png") });
    await ask.getByRole("button", { name: "Withdraw and erase" }).click();
    await page
      .getByText("Consent withdrawn: 20 photos and 2 trained LoRA files erased from this computer. The server erased your uploaded photos and trained files too.")
      .waitFor();
    for (const f of loraFiles) if (existsSync(f)) throw new Error(`${f} is still there after the withdrawal`);
    const left = await page.evaluate(() => window.go.app.DatasetService.Dataset().then((d) => d.items.length));
    assertEqual(left, 0, "photos left after withdrawal");
    const versions = await page.evaluate(() => window.go.app.TrainingService.Versions().then((r) => r.versions.length));
    assertEqual(versions, 0, "trained versions left on the server after withdrawal");
    await page.getByRole("button", { name: "I consent" }).waitFor();
  });

  await check("em português: the language switch, then the steps in order, in Brazilian Portuguese", async () => {
    await page.getByRole("combobox", { name: "Language" }).click();
    await page.getByRole("option", { name: "Português (Brasil)" }).click();
    await page.getByTestId("step-title").getByText("Seu consentimento").waitFor();
    // The pick is remembered: a reload (or the next start) speaks Portuguese too.
    await page.reload();
    await page.waitForFunction(() => window.go && window.go.app, null, { timeout: 30_000 });
    await page.getByTestId("step-title").getByText("Seu consentimento").waitFor();
    assertEqual(await page.evaluate(() => document.documentElement.lang), "pt-BR", "the document's language");
    assertEqual(await currentStep(page), "Consentimento", "the first step, in Portuguese");
    const fotos = (await page.getByRole("navigation", { name: "Etapas" }).getByRole("button", { name: /^Fotos\b/ }).textContent()).trim();
    if (!/Bloqueada.*Dê seu consentimento primeiro/.test(fotos)) throw new Error(`the locked Fotos step says: ${fotos}`);
    // The consent text itself is the Portuguese one, its own version.
    await page.getByLabel("Texto do consentimento").getByText(/Você confirma que todas as fotos mostram você/).waitFor();
    await page.getByText(/2026-12-01\.pt-BR/).waitFor();
    await stepShot(page, "pt-BR", 1, "consent");
    await page.getByRole("checkbox", { name: /Todas as fotos que eu adicionar são de mim/ }).check();
    await page.getByRole("button", { name: "Eu consinto" }).click();
    await page.getByTestId("step-title").getByText("Adicione suas fotos").waitFor();
    // The record says which text was accepted.
    const given = await page.evaluate(() => window.go.app.ConsentService.GetConsent());
    assertEqual([given.version, given.language], ["2026-12-01.pt-BR", "pt-BR"], "the consent on record");
    const files = [...frames.slice(0, 19).map((f) => path.join(personDir, f)), bigPhoto];
    await page.evaluate((paths) => window.go.app.DatasetService.ImportFiles(paths), files);
    await page.getByTestId("photo-count").getByText("20 fotos: no mínimo 15, de 20 a 30 recomendadas").waitFor();
    await stepShot(page, "pt-BR", 2, "photos");
    await page.getByTestId("next-step").getByText("Próxima: Verificar").click();
    await page.getByTestId("step-title").getByText("Verifique as fotos").waitFor();
    await page.getByRole("spinbutton", { name: "Menor lado em pixels" }).fill("256");
    await page.getByRole("button", { name: "Verificar as fotos" }).click();
    await page.getByText("Estas fotos passaram: já dá para treinar.").waitFor({ timeout: 60_000 });
    const angles = (await page.getByTestId("variety").textContent()).trim();
    if (!/^Ângulos do rosto: \d+ de frente/.test(angles)) throw new Error(`variety line: ${angles}`);
    await stepShot(page, "pt-BR", 3, "check");
    await openStep(page, "Treinar", "Etapas");
    await page.getByTestId("step-title").getByText("Treine a sua LoRA").waitFor();
    await page.getByTestId("signed-in").getByText(/^Conectado como/).waitFor();
    await page.getByRole("combobox", { name: "Modelo base de treino" }).waitFor();
    await page.getByRole("button", { name: "Enviar ao servidor" }).waitFor();
    await stepShot(page, "pt-BR", 4, "train");
    await openStep(page, "Usar", "Etapas");
    await page.getByTestId("step-title").getByText("Use a sua imagem").waitFor();
    const platform = page.getByRole("combobox", { name: "Plataforma de destino" });
    assertEqual((await platform.textContent()).trim(), "Sora 2 Pro Max", "target platform, in the Portuguese studio");
    await page.getByText(/não carrega uma/).first().waitFor();
    await stepShot(page, "pt-BR", 5, "use");
    // Back to English for whoever looks next.
    await page.getByRole("combobox", { name: "Idioma" }).click();
    await page.getByRole("option", { name: "English" }).click();
    await page.getByTestId("step-title").getByText("Use your likeness").waitFor();
  });

  await check("the page raised no uncaught errors", async () => {
    assertEqual(consoleErrors, [], "uncaught page errors");
  });
} catch (err) {
  results.push({ name: "setup", ok: false });
  console.log(`FAIL setup: ${err.stack || err}`);
} finally {
  if (browser) await browser.close();
  if (app) await app.stop();
  if (backend) {
    if (results.some((r) => !r.ok)) console.log(`backend log:\n${backend.logs.join("")}`);
    await backend.stop();
  }
  rmSync(blobDir, { recursive: true, force: true });
  rmSync(profile, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
}

const failed = results.filter((r) => !r.ok).length;
console.log(`e2e: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
