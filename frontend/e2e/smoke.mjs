// Desktop smoke check: the real desktop binary (built with -tags dev, which
// opens its GTK window under Xvfb and serves the same frontend and Go
// bindings on a port) must show the studio's first step, read from the DOM
// by text, not guessed from pixels. It fails on a blank page, an error
// screen or a step other than the first, in each language the studio ships.
//
//   node e2e/smoke.mjs --bin ../build/bin/lorastudio-dev [--artifacts DIR]
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";

const { values: args } = parseArgs({
  options: {
    bin: { type: "string" },
    artifacts: { type: "string", default: "../build/artifacts" },
    chromium: { type: "string", default: process.env.CHROMIUM || "/usr/bin/chromium" },
  },
});
if (!args.bin) {
  console.error("usage: node e2e/smoke.mjs --bin DESKTOP_DEV_BINARY [--artifacts DIR]");
  process.exit(2);
}
const distDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..", "dist");
const artifacts = path.resolve(args.artifacts);
mkdirSync(artifacts, { recursive: true });

// What a newcomer must see first, in each language: the first step, current.
const expected = [
  { lang: "en", nav: "Steps", step: "Consent", title: "Your consent", card: "Before your first photo" },
  { lang: "pt-BR", nav: "Etapas", step: "Consentimento", title: "Seu consentimento", card: "Antes da sua primeira foto" },
];

const freePort = () =>
  new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });

const data = mkdtempSync(path.join(tmpdir(), "lorastudio-smoke-"));
const port = await freePort();
const logs = [];
const app = spawn("xvfb-run", ["-a", "-s", "-screen 0 1280x900x24", path.resolve(args.bin), "-devserver", `localhost:${port}`, "-assetdir", distDir], {
  env: { ...process.env, LORASTUDIO_DATA_DIR: data },
  detached: true,
  stdio: ["ignore", "pipe", "pipe"],
});
app.stdout.on("data", (d) => logs.push(d.toString()));
app.stderr.on("data", (d) => logs.push(d.toString()));
const stop = () => {
  try {
    process.kill(-app.pid, "SIGTERM");
  } catch {
    // already gone
  }
  rmSync(data, { recursive: true, force: true });
};

let failed = false;
const url = `http://localhost:${port}/`;
try {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (app.exitCode !== null) throw new Error(`the app exited with ${app.exitCode}`);
    if (Date.now() > deadline) throw new Error(`the app did not serve ${url} within 60 s`);
    try {
      if ((await fetch(url)).ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const want of expected) {
    const browser = await chromium.launch({
      executablePath: args.chromium,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", `--lang=${want.lang}`],
    });
    try {
      // The OS locale reaches the webview as navigator.language.
      const page = await (await browser.newContext({ locale: want.lang, viewport: { width: 1280, height: 900 } })).newPage();
      const errors = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(url);
      const shot = path.join(artifacts, `smoke-first-step-${want.lang}.png`);
      try {
        const nav = page.getByRole("navigation", { name: want.nav });
        await nav.getByRole("button", { name: new RegExp(want.step) }).and(page.locator('[aria-current="step"]')).waitFor({ timeout: 30_000 });
        const title = (await page.getByTestId("step-title").textContent())?.trim();
        if (title !== want.title) throw new Error(`step title is ${JSON.stringify(title)}, want ${JSON.stringify(want.title)}`);
        await page.getByRole("heading", { name: want.card }).waitFor({ timeout: 10_000 });
        const alerts = await page.getByRole("alert").allTextContents();
        if (alerts.length) throw new Error(`the window shows an error: ${alerts.join(" | ")}`);
        await page.screenshot({ path: shot });
        console.log(`smoke: ${want.lang}: the window shows step 1, ${JSON.stringify(title)} (${shot})`);
      } catch (e) {
        await page.screenshot({ path: shot }).catch(() => {});
        const text = (await page.locator("body").innerText().catch(() => "")).slice(0, 600);
        throw new Error(`${want.lang}: ${e.message}\nthe window says: ${JSON.stringify(text)}${errors.length ? `\npage errors: ${errors.join("; ")}` : ""}\nscreenshot: ${shot}`);
      }
    } finally {
      await browser.close();
    }
  }
} catch (e) {
  failed = true;
  console.error(`smoke: FAIL: ${e.message}`);
  console.error(logs.join("").slice(-2000));
} finally {
  stop();
}
process.exit(failed ? 1 : 0);
