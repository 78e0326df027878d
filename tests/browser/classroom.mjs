// Two students in real Chromium pages of the ClassCord web client, while a legacy TCP client
// (driven by tests/web_client.rs) sits in the same #général. Usage:
//   node classroom.mjs <http://server:port> <screenshot directory>
// Prints one line per step reached; any failure exits non-zero with the reason.
// The legacy side: the Rust test answers "Salut depuis Java" when it has read alice's message.
// The teacher "prof" (password "secret", role moderator) exists before the run.

import { readFile } from "node:fs/promises";
import { launchChromium } from "./launch.mjs";

// axe-core (from npm, beside Playwright), run in the page: every accessibility violation of
// what the page shows now, whatever its impact (minor ones included).
const AXE = await readFile(new URL("./node_modules/axe-core/axe.min.js", import.meta.url), "utf8");
async function accessibilityProblems(page) {
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ["violations"] });
    // The first nodes and axe's own summary, so that a failure says what to fix.
    return result.violations.map((v) => ({
      id: v.id, impact: v.impact, nodes: v.nodes.length,
      first: v.nodes.slice(0, 3).map((n) => `${n.target.join(" ")}: ${n.failureSummary}`),
    }));
  });
  return violations;
}

async function expectAccessible(who, page) {
  const problems = await accessibilityProblems(page);
  if (problems.length > 0) throw new Error(`axe-core, ${who}: ${JSON.stringify(problems)}`);
}

const [base, shots] = process.argv.slice(2);
const WAIT = 15000;

const browser = await launchChromium();
const step = (text) => console.log(`step: ${text}`);

async function open(name, viewport) {
  const context = await browser.newContext({ viewport, locale: "fr-FR" });
  // Notifications the page shows, kept for the test (a headless browser displays none).
  await context.addInitScript(() => {
    const Real = window.Notification;
    window.shownNotifications = [];
    class Recorded extends Real {
      constructor(title, options) {
        super(title, options);
        window.shownNotifications.push(title);
      }
    }
    window.Notification = Recorded;
  });
  const page = await context.newPage();
  page.on("pageerror", (error) => {
    console.error(`page error for ${name}: ${error.message}`);
    process.exitCode = 1;
  });
  await page.goto(base + "/");
  // Reached the server; nobody is logged in yet, so the page does not say "Connecté".
  await page.getByRole("status").filter({ hasText: "Serveur joint : identifiez-vous." }).waitFor({ timeout: WAIT });
  // The login page, as this viewport shows it, in light and dark.
  await expectAccessible(`login page for ${name}`, page);
  await page.emulateMedia({ colorScheme: "dark" });
  await expectAccessible(`login page for ${name}, dark`, page);
  await page.emulateMedia({ colorScheme: "light" });
  return page;
}

async function student(name, viewport) {
  const page = await open(name, viewport);
  await page.getByLabel("Nom d'utilisateur").fill(name);
  await page.getByLabel("Mot de passe").fill("motdepasse");
  await page.getByRole("button", { name: "Créer le compte" }).click();
  await page.getByRole("heading", { name: "#général" }).waitFor({ timeout: WAIT });
  return page;
}

async function say(page, text) {
  await page.getByLabel("Message", { exact: true }).fill(text);
  await page.getByLabel("Message", { exact: true }).press("Enter");
}

async function sees(page, text) {
  await page.locator("#messages li", { hasText: text }).first().waitFor({ timeout: WAIT });
}

// On a phone, rooms and people are in a drawer opened from the top bar (nothing to do on a
// desktop, where they are always shown).
async function drawer(page) {
  const menu = page.locator("#menu-button");
  if (await menu.isVisible() && (await menu.getAttribute("aria-expanded")) !== "true") {
    await menu.click();
    await page.locator("#sidebar.open").waitFor({ timeout: WAIT });
  }
}

// The page's next dialogs (prompt, confirm) answered in order.
function answerDialogs(page, answers) {
  const handler = async (dialog) => {
    const answer = answers.shift();
    if (answers.length === 0) page.off("dialog", handler);
    await dialog.accept(answer);
  };
  page.on("dialog", handler);
}

// A teacher's button under a person's name in the list of people (the name selected first
// when its actions are not shown).
async function personAction(page, name, label) {
  const button = page.getByRole("button", { name: `${label} : ${name}`, exact: true });
  if (await button.count() === 0) await page.locator("#users button", { hasText: name }).first().click();
  await button.click();
}

try {
  const alice = await student("alice", { width: 1280, height: 800 });
  // Chloé is on a phone.
  const chloe = await student("chloé", { width: 390, height: 844 });
  step("both logged in");

  // #général has more than one page of history: the oldest come on demand, above, with a
  // day separator.
  await sees(alice, "ancien 52");
  if (await alice.locator("#messages .content", { hasText: /^ancien 1$/ }).count() !== 0) {
    throw new Error("the first page already holds the oldest message");
  }
  // Scrolling to the top loads the page before (the button above does the same for a list
  // too short to scroll, or from the keyboard).
  await alice.getByRole("button", { name: "Afficher les messages plus anciens" }).waitFor({ timeout: WAIT });
  await alice.evaluate(() => document.getElementById("messages").scrollTo(0, 0));
  await alice.locator("#messages .content", { hasText: /^ancien 1$/ }).waitFor({ timeout: WAIT });
  await alice.locator("#messages li.day", { hasText: "aujourd'hui" }).first().waitFor({ timeout: WAIT });
  step("older messages");

  // Each sees the other in the list of users online.
  await alice.locator("#users button", { hasText: "chloé" }).waitFor({ timeout: WAIT });
  await drawer(chloe);
  await chloe.locator("#users button", { hasText: "alice" }).waitFor({ timeout: WAIT });
  // Escape closes the drawer and gives the focus back to its button.
  await chloe.keyboard.press("Escape");
  await chloe.locator("#sidebar").waitFor({ state: "hidden", timeout: WAIT });
  if (!(await chloe.evaluate(() => document.activeElement?.id === "menu-button"))) {
    throw new Error("Escape did not give the focus back to the drawer's button");
  }
  step("presence");

  await say(alice, "Bonjour la classe");
  await sees(chloe, "Bonjour la classe");
  await sees(alice, "Bonjour la classe");
  step("alice said hello in #général");

  // 2,500 emoji are 2,500 characters (5,000 UTF-16 units): all of them arrive; 4,001
  // characters are refused on the page, in French, before sending.
  await say(alice, "🎉".repeat(2500));
  const party = chloe.locator("#messages li", { hasText: "🎉🎉🎉" }).first();
  await party.waitFor({ timeout: WAIT });
  const emoji = await party.evaluate((item) => [...item.textContent].filter((c) => c === "🎉").length);
  if (emoji !== 2500) throw new Error(`chloé got ${emoji} emoji of 2500`);
  await say(alice, "x".repeat(4001));
  await alice.getByRole("alert").filter({ hasText: "Message trop long : 4001 caractères pour 4000 au plus." }).waitFor({ timeout: WAIT });
  if ((await alice.getByLabel("Message", { exact: true }).inputValue()).length !== 4001) {
    throw new Error("the refused message was not kept in the field");
  }
  await alice.getByLabel("Message", { exact: true }).fill("");
  step("long messages counted in characters");

  // "/shrug" is no command: the others read it, and so does its sender.
  await say(alice, "/shrug");
  await sees(chloe, "/shrug");
  await sees(alice, "/shrug");
  step("an unknown /word is a message");

  // The legacy client answers once it has read alice's message.
  await sees(alice, "Salut depuis Java");
  await sees(chloe, "Salut depuis Java");
  step("both read the legacy client");

  // A room name with a space: the page says what is wrong with it (the space).
  await drawer(chloe);
  await chloe.getByLabel("Rejoindre un salon").fill("maths 2");
  await chloe.getByRole("button", { name: "Rejoindre" }).click();
  await chloe.getByRole("alert").filter({ hasText: "(pas d'espace)" }).waitFor({ timeout: WAIT });
  step("a room name with a space");

  // A room: chloé creates it, alice joins from the list of rooms.
  await drawer(chloe);
  await chloe.getByLabel("Rejoindre un salon").fill("#maths");
  await chloe.getByRole("button", { name: "Rejoindre" }).click();
  await chloe.getByRole("heading", { name: "#maths" }).waitFor({ timeout: WAIT });
  await alice.getByLabel("Rejoindre un salon").fill("maths");
  await alice.getByRole("button", { name: "Rejoindre" }).click();
  await alice.getByRole("heading", { name: "#maths" }).waitFor({ timeout: WAIT });
  await say(alice, "Exercice 3, qui a trouvé ?");
  await sees(chloe, "Exercice 3, qui a trouvé ?");
  step("room #maths");

  // A private message: alice picks chloé in the list of users, then « Écrire »; a student
  // has no teacher's action there.
  await alice.locator("#users button", { hasText: "chloé" }).click();
  if (await alice.getByRole("button", { name: "Rendre muet : chloé" }).count() !== 0) {
    throw new Error("a student sees a teacher's action");
  }
  await alice.getByRole("button", { name: "Écrire : chloé" }).click();
  await alice.getByRole("heading", { name: "Message privé : chloé" }).waitFor({ timeout: WAIT });
  await say(alice, "Tu me montres ta méthode ?");
  // On chloé's phone the drawer's button counts it.
  await chloe.getByRole("button", { name: "Salons et personnes, 1 non lus" }).waitFor({ timeout: WAIT });
  await drawer(chloe);
  await chloe.getByRole("button", { name: "✉ alice" }).click();
  await sees(chloe, "Tu me montres ta méthode ?");
  step("private message");

  // A reload (F5) keeps chloé logged in, in her rooms, with her private conversation.
  await chloe.reload();
  await chloe.getByRole("status").filter({ hasText: "Connecté : chloé" }).waitFor({ timeout: WAIT });
  await chloe.getByRole("heading", { name: "Message privé : alice" }).waitFor({ timeout: WAIT });
  await sees(chloe, "Tu me montres ta méthode ?");
  await drawer(chloe);
  await chloe.locator("#rooms button", { hasText: "#maths" }).waitFor({ timeout: WAIT });
  if (await chloe.getByLabel("Mot de passe").isVisible()) throw new Error("the reload asked for the password");
  const stored = await chloe.evaluate(() => JSON.stringify(sessionStorage));
  if (stored.includes("motdepasse")) throw new Error("the password is in sessionStorage");
  step("reload keeps the session");

  // An error the server sends is shown in its French words: a student may not kick.
  await drawer(chloe);
  await chloe.getByRole("button", { name: "#général" }).click();
  await say(chloe, "/kick alice");
  await chloe.getByRole("alert").filter({ hasText: "réservé aux enseignants" }).waitFor({ timeout: WAIT });
  step("error shown");

  // Back in #général; alice, still in her private conversation, sees it unread (badge and
  // tab title), then gets there with the keyboard only.
  // The page asked nothing on load (the button is still offered); alice accepts after her
  // click.
  await alice.context().grantPermissions(["notifications"]);
  await alice.getByRole("button", { name: "Me prévenir des messages privés" }).click();
  await alice.getByRole("button", { name: "Me prévenir des messages privés" }).waitFor({ state: "hidden", timeout: WAIT });
  await say(chloe, "Merci !");
  await say(chloe, "@alice tu viens ?");
  await alice.locator("#rooms button", { hasText: "#général" }).locator(".badge").waitFor({ timeout: WAIT });
  // The mention, in another conversation than hers, is notified; "Merci !" is not.
  await alice.waitForFunction(() => window.shownNotifications.length > 0, null, { timeout: WAIT });
  const notified = await alice.evaluate(() => window.shownNotifications);
  if (JSON.stringify(notified) !== JSON.stringify(["chloé vous cite dans #général"])) {
    throw new Error(`notifications: ${JSON.stringify(notified)}`);
  }
  await alice.waitForFunction(() => /^\(\d+\) ClassCord$/.test(document.title), null, { timeout: WAIT });
  step("unread and title");
  await alice.getByRole("button", { name: "#général" }).focus();
  await alice.keyboard.press("Enter");
  await alice.getByRole("heading", { name: "#général" }).waitFor({ timeout: WAIT });
  await sees(alice, "Merci !");
  if ((await alice.title()) !== "ClassCord") throw new Error(`title still ${await alice.title()}`);
  step("keyboard");

  // Pasted code keeps its lines in a code block; links are links, opened elsewhere.
  const field = alice.getByLabel("Message", { exact: true });
  const java = [
    "public class Bonjour {",
    "    public static void main(String[] args) {",
    "        System.out.println(\"Bonjour\");",
    "    }",
    "}",
  ].join("\n");
  // Pasted: the text arrives whole, as the clipboard inserts it.
  await field.focus();
  await alice.keyboard.insertText("Voici :\n```java\n" + java + "\n```\nvoir https://example.org/cours");
  await field.press("Enter");
  const block = chloe.locator("#messages pre code").last();
  await block.waitFor({ timeout: WAIT });
  if ((await block.textContent()) !== java) {
    throw new Error(`code block: ${JSON.stringify(await block.textContent())}`);
  }
  const link = chloe.getByRole("link", { name: "https://example.org/cours" });
  if ((await link.getAttribute("rel")) !== "noopener noreferrer") throw new Error("link rel");
  step("code and links");

  // The chat page as a class uses it, on a desktop and on a phone (drawer closed and open),
  // in axe-core's eyes.
  await expectAccessible("alice's page", alice);
  await expectAccessible("chloé's phone", chloe);
  await chloe.screenshot({ path: `${shots}/web-client-phone.png`, fullPage: true });
  await drawer(chloe);
  await expectAccessible("chloé's phone, drawer open", chloe);
  await chloe.keyboard.press("Escape");
  await alice.screenshot({ path: `${shots}/web-client.png` });
  // Dark mode, as the system asks for it.
  await alice.emulateMedia({ colorScheme: "dark" });
  await expectAccessible("alice's page, dark", alice);
  await alice.screenshot({ path: `${shots}/web-client-dark.png` });
  await alice.emulateMedia({ colorScheme: "light" });
  step("axe-core and screenshots");

  // The teacher logs in and kicks chloé: her page goes back to the login form with the
  // reason, and does not log her in again by itself after reconnecting.
  const prof = await open("prof", { width: 1280, height: 800 });
  await prof.getByLabel("Nom d'utilisateur").fill("prof");
  await prof.getByLabel("Mot de passe").fill("secret");
  await prof.getByRole("button", { name: "Se connecter" }).click();
  await prof.getByRole("heading", { name: "#général" }).waitFor({ timeout: WAIT });
  // Everyone sees that prof is a teacher.
  await alice.locator("#users button", { hasText: "prof" }).locator(".role-badge", { hasText: "enseignant" })
    .waitFor({ timeout: WAIT });
  step("teacher's badge");

  // A message reported by a student (a button on it, a reason asked) reaches the teacher,
  // whose button removes it from every screen; students have no such button.
  await say(chloe, "Un message à retirer");
  await sees(alice, "Un message à retirer");
  await sees(prof, "Un message à retirer");
  if (await alice.getByRole("button", { name: /^Retirer le message/ }).count() !== 0) {
    throw new Error("a student sees a button that removes messages");
  }
  for (const name of [/^Membres de/, /^Fermer le salon/, "Créer un salon", "Rendre muet"]) {
    if (await alice.getByRole("button", { name }).count() !== 0) {
      throw new Error(`a student sees a teacher's button: ${name}`);
    }
  }
  alice.once("dialog", (dialog) => dialog.accept("pas gentil"));
  await alice.getByRole("button", { name: "Signaler le message de chloé" }).last().click();
  await sees(alice, "votre signalement a été transmis aux enseignants");
  await sees(prof, "Signalement de alice");
  prof.once("dialog", (dialog) => dialog.accept());
  await prof.locator("#messages li", { hasText: "Un message à retirer" })
    .getByRole("button", { name: "Retirer le message de chloé" }).click();
  await alice.locator("#messages li", { hasText: "Un message à retirer" }).waitFor({ state: "detached", timeout: WAIT });
  step("reported and removed");

  // The teacher mutes chloé from the list of people (the duration asked), then gives her the
  // floor back; chloé reads both in French.
  answerDialogs(prof, ["5m"]);
  await personAction(prof, "chloé", "Rendre muet");
  await sees(chloe, "Un enseignant vous a rendu muet pour 5 minutes");
  await personAction(prof, "chloé", "Rendre la parole");
  await sees(chloe, "Un enseignant vous a rendu la parole");
  step("muted from the list");

  // A moderated room: alice's request is no error on her page; the teacher answers it from a
  // card with buttons, and alice is in.
  answerDialogs(prof, ["#devoirs", "modéré"]);
  await prof.getByRole("button", { name: "Créer un salon" }).click();
  await sees(prof, "#devoirs créé (modéré)");
  // The teacher's list of rooms has it at once.
  await prof.locator("#rooms button", { hasText: "#devoirs" }).waitFor({ timeout: WAIT });
  await alice.getByLabel("Rejoindre un salon").fill("#devoirs");
  await alice.getByRole("button", { name: "Rejoindre" }).click();
  await sees(alice, "votre demande a été envoyée aux enseignants");
  if ((await alice.locator("#chat-error").innerText()).trim() !== "") {
    throw new Error("the request is shown as an error");
  }
  await prof.getByRole("button", { name: "Accepter la demande de alice pour #devoirs" }).click();
  await alice.getByRole("heading", { name: "#devoirs" }).waitFor({ timeout: WAIT });
  await prof.locator("#messages li", { hasText: "alice demande à rejoindre #devoirs" }).filter({ hasText: "acceptée" }).waitFor({ timeout: WAIT });
  // The teacher sees who is in the room, from a button above it.
  await prof.locator("#rooms button", { hasText: "#devoirs" }).click();
  await prof.getByRole("button", { name: "Membres de #devoirs" }).click();
  await prof.locator("#messages li", { hasText: /membres : .*alice/ }).waitFor({ timeout: WAIT });
  await expectAccessible("the teacher's page", prof);
  await prof.screenshot({ path: `${shots}/web-client-teacher.png` });
  // Closing it (confirmed) takes it off alice's list and puts her back in #général.
  answerDialogs(prof, [undefined]);
  await prof.getByRole("button", { name: "Fermer le salon #devoirs" }).click();
  await alice.locator("#rooms button", { hasText: "#devoirs" }).waitFor({ state: "detached", timeout: WAIT });
  await alice.getByRole("heading", { name: "#général" }).waitFor({ timeout: WAIT });
  await prof.locator("#rooms button", { hasText: "#devoirs" }).waitFor({ state: "detached", timeout: WAIT });
  await prof.locator("#rooms button", { hasText: "#général" }).click();
  step("join request card, members, closing");

  answerDialogs(prof, ["", ""]);
  await personAction(prof, "chloé", "Exclure");
  await chloe.getByRole("alert").filter({ hasText: "expulsé du serveur par un enseignant" }).waitFor({ timeout: WAIT });
  await chloe.getByRole("button", { name: "Se connecter" }).waitFor({ timeout: WAIT });
  // After the reconnection delay (1 s) she is connected to the server but not logged in.
  await chloe.waitForTimeout(2500);
  if (await chloe.locator("#chat").isVisible()) throw new Error("chloé is back in the chat");
  if ((await chloe.getByRole("status").innerText()) !== "Serveur joint : identifiez-vous.") {
    throw new Error("chloé's page did not reconnect");
  }
  await prof.locator("#users button", { hasText: "chloé" }).waitFor({ state: "detached", timeout: WAIT });
  step("kicked");

  // A message the server refuses (chloé is offline) stays on alice's screen marked as not
  // sent, with the reason.
  await alice.getByRole("button", { name: "✉ chloé" }).click();
  await say(alice, "Tu es encore là ?");
  await alice.locator("#messages li.failed", { hasText: "Tu es encore là ?" })
    .locator(".not-sent").waitFor({ timeout: WAIT });
  await alice.getByRole("button", { name: "#général" }).click();
  step("refused message marked");

  // Excluded for 10 minutes, then banned: each time the student's page says why, and the
  // next login says it again (the reason and the time left), not "wrong password".
  await chloe.getByLabel("Nom d'utilisateur").fill("chloé");
  await chloe.getByLabel("Mot de passe").fill("motdepasse");
  await chloe.getByRole("button", { name: "Se connecter" }).click();
  await chloe.getByRole("heading", { name: "#général" }).waitFor({ timeout: WAIT });
  answerDialogs(prof, ["10m", "bavardage"]);
  await personAction(prof, "chloé", "Exclure");
  await chloe.getByRole("alert").filter({ hasText: "pour 10 minutes : bavardage" }).waitFor({ timeout: WAIT });
  await chloe.getByLabel("Mot de passe").fill("motdepasse");
  await chloe.getByRole("button", { name: "Se connecter" }).click();
  await chloe.getByRole("alert").filter({ hasText: "Vous avez été exclu par un enseignant : vous pourrez revenir dans" }).waitFor({ timeout: WAIT });
  answerDialogs(prof, ["insultes"]);
  await personAction(prof, "alice", "Bannir");
  await alice.getByRole("alert").filter({ hasText: "Vous avez été banni par un enseignant : insultes." }).waitFor({ timeout: WAIT });
  await alice.getByLabel("Mot de passe").fill("motdepasse");
  await alice.getByRole("button", { name: "Se connecter" }).click();
  await alice.getByRole("alert").filter({ hasText: "Connexion refusée : ce compte est banni (raison : insultes)." }).waitFor({ timeout: WAIT });
  step("excluded and banned");

  // The ban's confirmation on the teacher's page lifts it; alice comes back.
  await prof.getByRole("button", { name: "Débannir : alice" }).click();
  await sees(prof, "alice peut revenir.");
  await alice.getByLabel("Mot de passe").fill("motdepasse");
  await alice.getByRole("button", { name: "Se connecter" }).click();
  await alice.getByRole("heading", { name: "#général" }).waitFor({ timeout: WAIT });
  step("unbanned");
} catch (error) {
  console.error(`failed: ${error.message}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
