import { chromium } from "playwright-core";
import { execFileSync } from "node:child_process";
const url = process.env.URL;
const py = process.env.PY, data = process.env.DATA;
const browser = await chromium.launch({ executablePath: "/usr/lib/chromium/chromium", args: ["--no-sandbox"] });
const page = await browser.newPage({ viewport: { width: 1200, height: 1800 } });
const log = [];
page.on("console", (m) => log.push(`console.${m.type()}: ${m.text()}`));
await page.goto(url);
const consent = page.locator("#consent");
await consent.getByText("Telemetry is Disabled").waitFor({ timeout: 15000 });
const dash1 = await page.locator("#dashboard").innerText();
console.log("STEP1 consent disabled; dashboard says:", JSON.stringify(dash1.slice(0, 200)));
await consent.getByRole("button", { name: "Enable" }).click();
await consent.getByText("Telemetry is Enabled").waitFor({ timeout: 15000 });
const anon = await consent.locator("code").innerText();
console.log("STEP2 enabled; anonymous id shown:", anon);
await consent.getByRole("button", { name: "What data do we collect?" }).click();
const details = await consent.innerText();
console.log("STEP3 details include our texts:", details.includes("A random anonymous id and a random session id"));
// A host records events through our library (a separate process), then the user reloads.
execFileSync(py, ["-c", `
from peft_telemetry_gui import TelemetryClient
with TelemetryClient(app_name="PEFT Studio", data_dir=${JSON.stringify(data)}) as c:
    for i in range(3):
        c.track_event("training_started", {"algorithm": "lora", "rank": 16, "email": "someone@example.com"})
    c.track_event("model_loaded")
    for v in (120.0, 80.0, 100.0):
        c.track_performance("checkpoint_save", v, "ms")
    try:
        raise ValueError("disk full at /home/someone/runs/adapter.bin")
    except ValueError as e:
        c.track_error(e)
`]);
await page.reload();
await page.locator("#dashboard").getByText("Usage Analytics").waitFor({ timeout: 15000 });
await page.locator("#dashboard").getByText("Checkpoint Save").waitFor({ timeout: 15000 });
const dash = await page.locator("#dashboard").innerText();
console.log("STEP4 dashboard:\n" + dash);
await page.screenshot({ path: "browser.png", fullPage: true });
// Toggle back off through their button: the store must say off.
await consent.getByRole("button", { name: "Disable" }).click();
await consent.getByText("Telemetry is Disabled").waitFor({ timeout: 15000 });
console.log("STEP5 disabled again via their button");
console.log(log.join("\n"));
await browser.close();
