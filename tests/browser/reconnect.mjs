// A student's page across a server restart (tests/web_client.rs restarts the server on the
// same port when this script prints "step: ready"). Usage:
//   node reconnect.mjs <http://server:port>
// The student "lea" (password "motdepasse") exists; "#maths" is a moderated room she is
// not a member of, "#sport" an open room. After the restart her page logs in again by
// itself, joins #sport again (she had joined it), files no request for #maths (only listed)
// and stays on the conversation she was reading.

import { launchChromium } from "./launch.mjs";

const [base] = process.argv.slice(2);
const WAIT = 15000;

const browser = await launchChromium();
const step = (text) => console.log(`step: ${text}`);

try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "fr-FR" });
  const page = await context.newPage();
  page.on("pageerror", (error) => {
    console.error(`page error: ${error.message}`);
    process.exitCode = 1;
  });
  await page.goto(base + "/");
  const status = page.getByRole("status");
  await status.filter({ hasText: "Serveur joint : identifiez-vous." }).waitFor({ timeout: WAIT });
  if ((await status.innerText()).startsWith("Connecté")) throw new Error("'Connecté' before any login");
  await page.getByLabel("Nom d'utilisateur").fill("lea");
  await page.getByLabel("Mot de passe").fill("motdepasse");
  await page.getByRole("button", { name: "Se connecter" }).click();
  await status.filter({ hasText: "Connecté : lea" }).waitFor({ timeout: WAIT });
  // #maths is in her list (the server lists it), never opened.
  await page.getByRole("button", { name: "#maths" }).waitFor({ timeout: WAIT });
  await page.getByLabel("Rejoindre un salon").fill("#sport");
  await page.getByRole("button", { name: "Rejoindre" }).click();
  await page.getByRole("heading", { name: "#sport" }).waitFor({ timeout: WAIT });
  await page.getByRole("button", { name: "#général" }).click();
  await page.getByRole("heading", { name: "#général" }).waitFor({ timeout: WAIT });
  step("ready");

  await status.filter({ hasText: "Déconnecté" }).waitFor({ timeout: WAIT });
  step("disconnected");
  await status.filter({ hasText: "Connecté : lea" }).waitFor({ timeout: 2 * WAIT });
  // The test says "Bon retour" in #général once she is back in #sport: she reads it where she
  // was, the answer of #sport did not take her there.
  await page.locator("#messages li", { hasText: "Bon retour" }).waitFor({ timeout: 2 * WAIT });
  await page.getByRole("heading", { name: "#général" }).waitFor({ timeout: WAIT });
  // The answers of the rooms joined again have arrived when #sport takes messages again.
  await page.getByRole("button", { name: "#sport" }).click();
  await page.getByRole("heading", { name: "#sport" }).waitFor({ timeout: WAIT });
  await page.getByLabel("Message", { exact: true }).fill("De retour");
  await page.getByLabel("Message", { exact: true }).press("Enter");
  await page.locator("#messages li", { hasText: "De retour" }).waitFor({ timeout: WAIT });
  const error = await page.locator("#chat-error").innerText();
  if (error) throw new Error(`error after the reconnection: ${error}`);
  step("back");
} catch (error) {
  console.error(`failed: ${error.message}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
