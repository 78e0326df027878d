// ClassCord web client: the v2 protocol over the WebSocket of the page's own server.
// One JSON object per frame. No framework, no build step, nothing fetched from elsewhere.

// The room everyone is in: the server says which in its hello answer.
let DEFAULT_ROOM = "#général";
const MAX_BACKOFF_MS = 30000;

const $ = (id) => document.getElementById(id);

// Where the page keeps its session across a reload: the server's token (never the
// password), the rooms joined and the conversation shown. sessionStorage: this tab only,
// gone when it closes.
const SESSION_KEY = "classcord.session";

const state = {
  socket: null,
  // The password, in memory only, until the server gives a session token.
  credentials: null,
  // The server's session token: logs in again after a reload or a reconnection.
  token: null,
  // A resume or login was sent and not answered yet.
  resuming: false,
  pendingSession: false,
  loggingOut: false,
  // What the server's hello says it can do ("sessions", "private_history", …).
  features: new Set(),
  me: null,
  // The account's role ("user", "moderator", "admin"; a guest's is "user"), from the login
  // answer: teachers get the buttons that remove messages.
  role: "user",
  current: DEFAULT_ROOM,
  conversations: new Map([[DEFAULT_ROOM, []]]),
  users: new Map(),
  // Rooms this page joined (beside the default one): the only rooms joined again after a
  // reconnection. Rooms only listed are not asked for (a moderated one would file a request).
  joined: new Set(),
  // Rooms being joined again after a reconnection: their answers do not change the room shown.
  rejoining: new Set(),
  // The person a ban from the page was asked for, until the server answers it.
  lastBanned: null,
  backoff: 1000,
  // The longest message the server takes, in characters (its hello says; not UTF-16 units,
  // which is what maxlength would count: an emoji is two of them).
  maxChars: 4000,
  // The words the server reads as commands after "/" (its hello says); null: an older
  // server, where every "/word" is taken for a command.
  commands: null,
  pendingRegister: false,
  pendingLogin: false,
  // Unread messages per conversation (not the one shown), for the badges and the tab title.
  unread: new Map(),
  // Rooms whose history has older pages, and the room whose older page was asked for.
  older: new Set(),
  loadingOlder: null,
  // The page's own last message, until the server refuses it (it sends no copy to its
  // sender): a refusal that follows marks it as not sent.
  lastSent: null,
  // The person whose actions are shown under their name in the list.
  openPerson: null,
  // People's badges ("teacher", "admin", "guest"), from the presence lines.
  badges: new Map(),
  // Private conversations whose stored history was asked for.
  privateLoaded: new Set(),
};

// The words of each badge beside a name.
const BADGE_WORDS = { teacher: "enseignant", admin: "administrateur", guest: "invité" };

function saveSession() {
  if (!state.token) return;
  const saved = { token: state.token, joined: [...state.joined], current: state.current };
  try {
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(saved));
  } catch {
    // Storage refused (private mode, full): the session lasts as long as the page.
  }
}

function restoreSession() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
    if (!saved || typeof saved.token !== "string") return;
    state.token = saved.token;
    state.joined = new Set(Array.isArray(saved.joined) ? saved.joined : []);
    if (typeof saved.current === "string") state.current = saved.current;
  } catch {
    // Nothing usable kept: the login form.
  }
}

function forgetSession() {
  state.token = null;
  try {
    sessionStorage.removeItem(SESSION_KEY);
  } catch {
    // Nothing was kept.
  }
}

// Refusals that answer a message just sent (the message did not go out).
const SEND_REFUSALS = new Set([
  "muted", "user_offline", "private_refused", "outside_hours", "content_too_long",
  "not_in_channel", "rate_limited", "storage_error", "nul_byte", "excluded",
]);

// Errors after which logging in again by itself would be wrong: the teacher's kick, another
// session of the same account, an exclusion in force.
const SIGNED_OUT = new Set(["kicked", "replaced", "excluded"]);

function send(object) {
  if (state.socket && state.socket.readyState === WebSocket.OPEN) {
    state.socket.send(JSON.stringify(object));
    return true;
  }
  showError("chat-error", "Pas de connexion au serveur : le message n'est pas parti.");
  return false;
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const socket = new WebSocket(scheme + location.host + "/ws");
  state.socket = socket;
  setConnection("Connexion…");
  socket.onopen = () => {
    state.backoff = 1000;
    // Not "Connecté": nobody is logged in yet.
    const returning = state.token || state.credentials;
    setConnection(returning ? "Reconnexion…" : "Serveur joint : identifiez-vous.");
    send({ type: "hello", version: 2, client: "ClassCord web" });
    if (state.token) {
      resume();
    } else if (state.credentials) {
      login();
    }
  };
  socket.onmessage = (event) => {
    let line;
    try {
      line = JSON.parse(event.data);
    } catch {
      return;
    }
    handle(line);
  };
  socket.onclose = (event) => {
    if (state.socket !== socket) return;
    const delay = state.backoff;
    state.backoff = Math.min(state.backoff * 2, MAX_BACKOFF_MS);
    const reason = event.reason ? ` (${event.reason})` : "";
    setConnection(`Déconnecté${reason}. Nouvelle tentative dans ${Math.round(delay / 1000)} s…`);
    setTimeout(connect, delay);
  };
}

// The server's default room replaces the one assumed before its hello answer.
function adoptDefaultRoom(name) {
  if (!name || name === DEFAULT_ROOM) return;
  const entries = state.conversations.get(DEFAULT_ROOM) || [];
  state.conversations.delete(DEFAULT_ROOM);
  state.conversations.set(name, entries);
  if (state.current === DEFAULT_ROOM) state.current = name;
  DEFAULT_ROOM = name;
  $("current-title").textContent = state.current;
  renderRooms();
}

function handle(line) {
  switch (line.type) {
    case "register":
      if (line.status === "ok" && state.pendingRegister) {
        state.pendingRegister = false;
        login();
      }
      break;
    case "login":
      state.pendingLogin = false;
      state.resuming = false;
      if (line.status === "ok") {
        state.role = line.role || "user";
        loggedIn(line.username);
        askSession();
      }
      break;
    case "session":
      // From now on the token logs in again; the password is no longer kept.
      state.pendingSession = false;
      state.token = line.token;
      state.credentials = null;
      saveSession();
      break;
    case "logout":
      closeAndShowLogin();
      break;
    case "conversations":
      for (const name of line.people || []) ensureConversation("@" + name, false);
      break;
    case "error":
      onError(line);
      break;
    case "message":
      onMessage(line);
      break;
    case "history":
      onHistory(line);
      break;
    case "users":
      for (const name of line.users || []) {
        if (!state.users.has(name)) state.users.set(name, "online");
      }
      for (const [name, badge] of Object.entries(line.badges || {})) state.badges.set(name, badge);
      renderUsers();
      break;
    case "status":
      if (line.state === "offline") {
        state.users.delete(line.user);
        state.badges.delete(line.user);
      } else {
        state.users.set(line.user, line.state);
        if (line.badge) state.badges.set(line.user, line.badge);
      }
      renderUsers();
      break;
    case "channels": {
      // The rooms one may enter now: new ones appear, closed ones not joined go away.
      const listed = new Set((line.channels || []).map((channel) => channel.name));
      for (const name of listed) ensureConversation(name, false);
      for (const key of [...state.conversations.keys()]) {
        const notJoined = state.conversations.get(key) === null;
        if (key.startsWith("#") && notJoined && !listed.has(key) && !line.more) {
          state.conversations.delete(key);
        }
      }
      renderRooms();
      break;
    }
    case "join":
      if (line.status === "ok") {
        ensureConversation(line.channel, true);
        state.conversations.set(line.channel, []);
        state.joined.add(line.channel);
        saveSession();
        if (state.rejoining.delete(line.channel)) {
          if (state.current === line.channel) select(line.channel);
          else renderRooms();
        } else {
          select(line.channel);
        }
      }
      break;
    case "leave":
      if (line.status === "ok") leaveRoom(line.channel);
      break;
    case "channel":
      addEntry(line.channel, {
        server: `${line.user} ${line.event === "join" ? "arrive dans" : "quitte"} ${line.channel}`,
      });
      break;
    case "hello":
      adoptDefaultRoom(line.default_channel);
      if (Number.isInteger(line.max_content_chars)) state.maxChars = line.max_content_chars;
      if (Array.isArray(line.commands)) state.commands = new Set(line.commands);
      state.features = new Set(line.features || []);
      break;
    case "system":
      if (line.closed_room) {
        // A teacher closed a room this page was in: it leaves the list, and the words say so.
        leaveRoom(line.closed_room);
        addEntry(state.current, { server: line.message });
      } else if (line.join_request) {
        addEntry(state.current, { server: line.message, request: line.join_request });
      } else {
        addEntry(state.current, { server: line.message });
      }
      break;
    case "removed":
      removeEntries(line.channel, new Set(line.ids || []));
      break;
    case "command": {
      const lines = line.lines || [];
      lines.forEach((text, index) => {
        const entry = { server: text };
        // A ban done from the page: its confirmation offers to lift it (the banned person
        // is no longer in the list of people).
        const last = index === lines.length - 1;
        if (last && line.action === "ban" && line.status === "ok" && state.lastBanned) {
          entry.unban = state.lastBanned;
        }
        addEntry(state.current, entry);
      });
      if (line.action === "ban") state.lastBanned = null;
      // A room may have been created or closed.
      if (line.action === "room") send({ type: "channels" });
      break;
    }
  }
}

// A page of a room's history: the first one when joining, or an older one asked for by
// scrolling to the top, which goes before what is shown.
function onHistory(line) {
  const room = line.with ? "@" + line.with : line.channel || DEFAULT_ROOM;
  const entries = (line.messages || []).map(entryOf);
  if (line.more) state.older.add(room);
  else state.older.delete(room);
  if (state.loadingOlder === room) {
    state.loadingOlder = null;
    const shown = state.conversations.get(room) || [];
    state.conversations.set(room, [...entries, ...shown]);
    if (room === state.current) {
      const list = $("messages");
      const fromBottom = list.scrollHeight - list.scrollTop;
      renderMessages();
      list.scrollTop = list.scrollHeight - fromBottom;
    }
    return;
  }
  if (line.with) {
    // A private conversation's stored messages, before those that arrived meanwhile.
    const ids = new Set(entries.map((entry) => entry.id));
    const shown = (state.conversations.get(room) || []).filter((entry) => !ids.has(entry.id) || entry.id === undefined);
    state.conversations.set(room, [...entries, ...shown]);
    renderRooms();
  } else {
    for (const entry of entries) addEntry(room, entry, { quiet: true });
  }
  if (room === state.current) renderMessages();
}

// The page before, or the latest one (before: null), of a room or a private conversation.
function historyRequest(key, before) {
  const request = key.startsWith("@")
    ? { type: "history", with: key.slice(1), limit: 50 }
    : { type: "history", channel: key, limit: 50 };
  if (before !== null) request.before = before;
  return request;
}

// A room left: by its member, or closed by a teacher.
function leaveRoom(room) {
  state.joined.delete(room);
  state.conversations.delete(room);
  state.unread.delete(room);
  saveSession();
  if (state.current === room) select(DEFAULT_ROOM);
  else renderRooms();
}

// Scrolled to the top of a room that has older messages: ask for the page before them.
function loadOlder() {
  const room = state.current;
  if (!state.older.has(room) || state.loadingOlder) return;
  const first = (state.conversations.get(room) || []).find((entry) => entry.id !== undefined);
  if (!first) return;
  state.loadingOlder = room;
  send(historyRequest(room, first.id));
}

function login() {
  state.pendingLogin = true;
  send({ type: "login", ...state.credentials });
}

function resume() {
  state.pendingLogin = true;
  state.resuming = true;
  send({ type: "resume", token: state.token });
}

// After a login with the password: a token, so that a reload does not ask for it again
// (servers without sessions, or with them turned off, keep the password in memory).
function askSession() {
  if (state.token || !state.features.has("sessions")) return;
  state.pendingSession = true;
  send({ type: "session" });
}

// Back to the login form, on a new connection (after a logout, a refused resume, a kick).
function showLoginForm(text) {
  state.pendingLogin = false;
  state.pendingRegister = false;
  state.resuming = false;
  state.credentials = null;
  state.me = null;
  state.role = "user";
  state.joined.clear();
  state.rejoining.clear();
  forgetSession();
  renderTeacherTools();
  closeDrawer();
  $("chat").hidden = true;
  $("login").hidden = false;
  $("menu-button").hidden = true;
  showError("login-error", text);
}

// The logout is answered (or took too long): the connection ends and a new one waits for
// the next person.
function closeAndShowLogin() {
  if (!state.loggingOut) return;
  state.loggingOut = false;
  const socket = state.socket;
  state.socket = null;
  if (socket) socket.close(1000, "logout");
  showLoginForm("");
  state.conversations = new Map([[DEFAULT_ROOM, []]]);
  state.unread.clear();
  state.older.clear();
  state.privateLoaded.clear();
  state.badges.clear();
  renderTitle();
  state.current = DEFAULT_ROOM;
  connect();
}

function onError(line) {
  // The server's own words (in its language, with the reason and the time left); the page
  // keeps its own text only for what happens in the browser.
  const text = line.message || "Erreur.";
  if (state.pendingSession && line.code === "forbidden") {
    // No session for this account (turned off by the server): the password stays in memory.
    state.pendingSession = false;
  } else if (SIGNED_OUT.has(line.code) || state.pendingLogin) {
    // Back to the login form, without logging in again by itself.
    showLoginForm(text);
  } else if (!state.me) {
    state.pendingRegister = false;
    showError("login-error", text);
  } else if (line.code === "join_pending") {
    // Not an error: the request waits for a teacher.
    addEntry(state.current, { server: text });
  } else {
    markNotSent(line.code, text);
    showError("chat-error", text);
  }
}

// A refused message stays on the screen, marked as not sent, with why.
function markNotSent(code, text) {
  const sent = state.lastSent;
  if (!sent || !SEND_REFUSALS.has(code) || Date.now() - sent.at > 10000) return;
  state.lastSent = null;
  sent.entry.failed = text;
  if (sent.key === state.current) renderMessages();
}

function entryOf(message) {
  return {
    id: message.id,
    from: message.from,
    content: message.content,
    time: message.timestamp,
    room: message.subtype === "private" ? null : message.channel || DEFAULT_ROOM,
  };
}

// A teacher removed messages of a room: they leave the screen at once.
function removeEntries(room, ids) {
  const entries = state.conversations.get(room);
  if (!entries) return;
  state.conversations.set(room, entries.filter((entry) => !ids.has(entry.id)));
  if (room === state.current) renderMessages();
}

// A small button: its label, what a screen reader says of it, what a click does.
function actionButton(label, description, onclick, className = "message-action") {
  const button = document.createElement("button");
  button.type = "button";
  if (className) button.className = className;
  button.textContent = label;
  button.setAttribute("aria-label", description);
  button.onclick = onclick;
  return button;
}

// A request to join a moderated room, as a card with its answers.
function requestButtons(entry) {
  if (entry.answered) {
    const done = document.createElement("span");
    done.className = "answered";
    done.textContent = ` — ${entry.answered}`;
    return [done];
  }
  const { user, room } = entry.request;
  const answer = (action, label) =>
    actionButton(label, `${label} la demande de ${user} pour ${room}`, () => {
      const request = { type: "command", action, user, room };
      if (action === "reject") {
        const reason = window.prompt(`Refuser ${user} dans ${room}. Raison (facultatif) :`, "");
        if (reason === null) return;
        if (reason.trim()) request.reason = reason.trim();
      }
      if (!send(request)) return;
      entry.answered = action === "accept" ? "acceptée" : "refusée";
      renderMessages();
    });
  return [answer("accept", "Accepter"), answer("reject", "Refuser")];
}

// "10m", "2 h", "30s", "1j", "90" (seconds): seconds, or null.
function durationSeconds(text) {
  const match = /^\s*(\d+)\s*(s|sec|m|min|mn|h|j|d)?\s*$/i.exec(text);
  if (!match) return null;
  const unit = { s: 1, sec: 1, m: 60, min: 60, mn: 60, h: 3600, j: 86400, d: 86400 }[(match[2] || "s").toLowerCase()];
  const seconds = Number(match[1]) * unit;
  return seconds > 0 ? seconds : null;
}

// A teacher's action on a person, from the list of people online (a duration and a reason
// asked when it takes them).
function moderate(action, name) {
  const request = { type: "command", action, user: name };
  if (action === "mute" || action === "kick") {
    const text = window.prompt(
      action === "mute" ? `Rendre ${name} muet pendant (ex. 10m, 1h ; vide : jusqu'à nouvel ordre) :`
        : `Exclure ${name} pendant (ex. 10m ; vide : peut revenir tout de suite) :`, "10m");
    if (text === null) return;
    if (text.trim()) {
      const seconds = durationSeconds(text);
      if (seconds === null) {
        showError("chat-error", `Durée non comprise : « ${text} » (écrivez 30s, 10m, 2h ou 1j).`);
        return;
      }
      request.duration_secs = seconds;
    }
  }
  if (action === "kick" || action === "ban") {
    const reason = window.prompt(`Raison, que ${name} lira (facultatif) :`, "");
    if (reason === null) return;
    if (reason.trim()) request.reason = reason.trim();
  }
  if (send(request) && action === "ban") state.lastBanned = name;
}

// « Débannir » on a ban's confirmation.
function unbanButton(entry) {
  if (entry.answered) return requestButtons(entry);
  const name = entry.unban;
  return [actionButton("Débannir", `Débannir : ${name}`, () => {
    if (!send({ type: "command", action: "unban", user: name })) return;
    entry.answered = "débanni";
    renderMessages();
  })];
}

// The buttons under a person's name: write to them, and a teacher's actions.
function personActions(name) {
  const row = document.createElement("div");
  row.className = "person-actions";
  const action = (label, onclick) => row.append(actionButton(label, `${label} : ${name}`, onclick, ""));
  action("Écrire", () => select("@" + name));
  if (isTeacher()) {
    action("Rendre muet", () => moderate("mute", name));
    action("Rendre la parole", () => moderate("unmute", name));
    action("Exclure", () => moderate("kick", name));
    action("Bannir", () => moderate("ban", name));
  }
  return row;
}

function isTeacher() {
  return state.role === "moderator" || state.role === "admin";
}

function reportMessage(entry) {
  const reason = window.prompt(`Signaler aux enseignants ce message de ${entry.from}. Raison (facultatif) :`, "");
  if (reason === null) return;
  const request = { type: "command", action: "report", id: entry.id };
  if (reason.trim()) request.reason = reason.trim();
  send(request);
}

function deleteMessage(entry) {
  if (!window.confirm(`Retirer ce message de ${entry.from} pour tout le monde ?`)) return;
  send({ type: "command", action: "delete", id: entry.id });
}

// The buttons of one message: report (anyone, others' messages), remove (teachers, rooms).
function messageActions(entry) {
  const actions = [];
  if (entry.id === undefined || entry.from === state.me) return actions;
  actions.push(actionButton("Signaler", `Signaler le message de ${entry.from}`, () => reportMessage(entry)));
  if (isTeacher() && entry.room) {
    actions.push(actionButton("Retirer", `Retirer le message de ${entry.from}`, () => deleteMessage(entry)));
  }
  return actions;
}

function onMessage(message) {
  let key;
  if (message.subtype === "private") {
    key = "@" + (message.from === state.me ? message.to : message.from);
    ensureConversation(key, false);
  } else {
    key = message.channel || DEFAULT_ROOM;
  }
  addEntry(key, entryOf(message));
}

// How often the list of rooms is asked again (rooms other teachers created or closed).
const ROOMS_REFRESH_MS = 30000;
let roomsRefresh = null;

function loggedIn(name) {
  clearInterval(roomsRefresh);
  roomsRefresh = setInterval(() => {
    // Quietly: a page without its connection says so once, not every half minute.
    if (state.me && state.socket && state.socket.readyState === WebSocket.OPEN) {
      state.socket.send(JSON.stringify({ type: "channels" }));
    }
  }, ROOMS_REFRESH_MS);
  state.me = name;
  $("login").hidden = true;
  $("chat").hidden = false;
  $("menu-button").hidden = false;
  renderTeacherTools();
  $("login-error").textContent = "";
  setConnection(`Connecté : ${name}`);
  state.users.clear();
  state.badges.clear();
  send({ type: "users" });
  send({ type: "channels" });
  if (state.features.has("private_history")) send({ type: "conversations" });
  state.conversations.set(DEFAULT_ROOM, []);
  send({ type: "history", channel: DEFAULT_ROOM, limit: 50 });
  // After a reconnection: the rooms this page had joined, and no other.
  state.rejoining.clear();
  for (const key of state.joined) {
    if (key !== DEFAULT_ROOM) {
      state.rejoining.add(key);
      send({ type: "join", channel: key });
    }
  }
  // A private conversation is read again from the server (shown before a reload).
  state.privateLoaded.clear();
  const room = state.current;
  if (!room.startsWith("@") && !state.conversations.has(room) && !state.joined.has(room)) {
    state.current = DEFAULT_ROOM;
  }
  select(state.current);
  $("message").focus();
}

function ensureConversation(key, joined) {
  if (!state.conversations.has(key)) state.conversations.set(key, joined ? [] : null);
  renderRooms();
}

function addEntry(key, entry, { quiet = false } = {}) {
  let entries = state.conversations.get(key);
  if (!entries) {
    entries = [];
    state.conversations.set(key, entries);
    renderRooms();
  }
  entries.push(entry);
  if (quiet) return;
  if (key === state.current && !document.hidden) {
    appendMessage(entries, entry);
    return;
  }
  if (key === state.current) appendMessage(entries, entry);
  if (entry.from && entry.from !== state.me) {
    state.unread.set(key, (state.unread.get(key) || 0) + 1);
    renderRooms();
    renderTitle();
    notify(key, entry);
  }
}

// A private message or a mention while the page is elsewhere: a notification of the
// browser, once the pupil asked for them (a click, never on load).
function notify(key, entry) {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  const mention = entry.content.includes("@" + state.me);
  if (!key.startsWith("@") && !mention) return;
  if (!document.hidden && key === state.current) return;
  const title = key.startsWith("@") ? `Message privé de ${entry.from}` : `${entry.from} vous cite dans ${key}`;
  const shown = new Notification(title, { body: entry.content.slice(0, 140), tag: key });
  shown.onclick = () => {
    window.focus();
    select(key);
  };
}

function renderNotifyButton() {
  const button = $("notify-button");
  button.hidden = !("Notification" in window) || Notification.permission !== "default";
}

// The tab's title counts what was not read: "(3) ClassCord".
function renderTitle() {
  const total = [...state.unread.values()].reduce((sum, count) => sum + count, 0);
  document.title = total > 0 ? `(${total}) ClassCord` : "ClassCord";
  // On a phone the rooms are in the drawer: its button in the top bar carries the count.
  const menu = $("menu-button");
  menu.textContent = total > 0 ? `Salons et personnes (${total})` : "Salons et personnes";
  menu.setAttribute("aria-label", total > 0 ? `Salons et personnes, ${total} non lus` : "Salons et personnes");
}

function select(key) {
  state.current = key;
  state.unread.delete(key);
  renderTitle();
  if (!state.conversations.get(key)) state.conversations.set(key, []);
  if (key.startsWith("@") && state.features.has("private_history") && !state.privateLoaded.has(key)) {
    state.privateLoaded.add(key);
    send(historyRequest(key, null));
  }
  $("current-title").textContent = key.startsWith("@") ? `Message privé : ${key.slice(1)}` : key;
  $("chat-error").textContent = "";
  saveSession();
  closeDrawer();
  renderTeacherTools();
  renderRooms();
  renderMessages();
}

// A teacher's tools: « Créer un salon » beside the rooms, and above a room (not the
// default one) its members and its closing.
function renderTeacherTools() {
  const teacher = isTeacher() && state.me !== null;
  $("create-room").hidden = !teacher;
  const room = state.current;
  const roomTools = teacher && room.startsWith("#") && room !== DEFAULT_ROOM;
  $("room-tools").hidden = !roomTools;
  if (roomTools) {
    $("room-members").setAttribute("aria-label", `Membres de ${room}`);
    $("room-close").setAttribute("aria-label", `Fermer le salon ${room}`);
  }
}

const ROOM_MODES = { ouvert: "open", "modéré": "moderated", modere: "moderated", "privé": "private", prive: "private" };

function createRoom() {
  const typed = window.prompt("Nom du nouveau salon (sans espace, ex. #maths-2) :", "#");
  if (typed === null || !typed.trim() || typed.trim() === "#") return;
  const room = typed.trim().startsWith("#") ? typed.trim() : "#" + typed.trim();
  const word = window.prompt(`${room} : ouvert (tout le monde entre), modéré (sur demande acceptée) ou privé (sur invitation) ?`, "ouvert");
  if (word === null) return;
  const mode = ROOM_MODES[word.trim().toLowerCase()];
  if (!mode) {
    showError("chat-error", `Mode non compris : « ${word} » (écrivez ouvert, modéré ou privé).`);
    return;
  }
  send({ type: "command", action: "room_create", room, mode });
}

function closeRoom() {
  const room = state.current;
  if (!window.confirm(`Fermer ${room} ? Ses membres en sortent ; ses messages restent dans l'historique.`)) return;
  send({ type: "command", action: "room_close", room });
}

// The phone layout: rooms and people in a drawer opened from the top bar.
function openDrawer(open) {
  $("sidebar").classList.toggle("open", open);
  $("menu-button").setAttribute("aria-expanded", String(open));
}

function closeDrawer() {
  if ($("sidebar").classList.contains("open")) openDrawer(false);
}

function renderRooms() {
  const list = $("rooms");
  list.replaceChildren();
  for (const key of state.conversations.keys()) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = key.startsWith("@") ? `✉ ${key.slice(1)}` : key;
    const unread = state.unread.get(key) || 0;
    if (unread > 0) {
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = String(unread);
      badge.setAttribute("aria-label", `${unread} non lu${unread > 1 ? "s" : ""}`);
      button.append(" ", badge);
    }
    button.setAttribute("aria-current", String(key === state.current));
    button.onclick = () => {
      if (key.startsWith("#") && state.conversations.get(key) === null) {
        send({ type: "join", channel: key });
      } else {
        select(key);
      }
    };
    item.append(button);
    list.append(item);
  }
}

function renderUsers() {
  const list = $("users");
  list.replaceChildren();
  for (const [name, presence] of [...state.users].sort()) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = name;
    button.dataset.name = name;
    button.disabled = name === state.me;
    const open = state.openPerson === name;
    button.setAttribute("aria-expanded", String(open));
    button.title = isTeacher() ? `Écrire à ${name} ou agir` : `Écrire à ${name} en privé`;
    button.onclick = () => {
      state.openPerson = open ? null : name;
      renderUsers();
    };
    const badge = BADGE_WORDS[state.badges.get(name)];
    if (badge) {
      const mark = document.createElement("span");
      mark.className = "role-badge";
      mark.textContent = badge;
      button.append(" ", mark);
    }
    const note = document.createElement("span");
    note.className = "state";
    note.textContent = presence === "online" ? "" : ` (${presence})`;
    item.append(button, note);
    if (open) item.append(personActions(name));
    list.append(item);
  }
}

// The day of a message as people say it: "aujourd'hui", "hier", "lundi 30 novembre".
function dayLabel(date) {
  const today = new Date();
  const yesterday = new Date(today);
  yesterday.setDate(today.getDate() - 1);
  if (date.toDateString() === today.toDateString()) return "aujourd'hui";
  if (date.toDateString() === yesterday.toDateString()) return "hier";
  return date.toLocaleDateString("fr-FR", { weekday: "long", day: "numeric", month: "long" });
}

// A message's text as nodes: ``` fences as code blocks (newlines kept), `inline code`,
// http(s) links that open elsewhere; never HTML from the text.
function contentNodes(text) {
  const nodes = [];
  const parts = text.split("```");
  parts.forEach((part, index) => {
    if (index % 2 === 1 && index < parts.length - 1) {
      const pre = document.createElement("pre");
      const code = document.createElement("code");
      code.textContent = part.replace(/^[a-zA-Z0-9_+-]*\n/, "").replace(/\n$/, "");
      pre.append(code);
      nodes.push(pre);
      return;
    }
    const chunk = index % 2 === 1 ? "```" + part : part;
    chunk.split("`").forEach((piece, inline) => {
      if (inline % 2 === 1) {
        const code = document.createElement("code");
        code.textContent = piece;
        nodes.push(code);
        return;
      }
      for (const token of piece.split(/(https?:\/\/[^\s<>"]+)/)) {
        if (/^https?:\/\//.test(token)) {
          const link = document.createElement("a");
          link.href = token;
          link.textContent = token;
          link.rel = "noopener noreferrer";
          link.target = "_blank";
          nodes.push(link);
        } else if (token) {
          nodes.push(document.createTextNode(token));
        }
      }
    });
  });
  return nodes;
}

function messageItem(entry) {
  const item = document.createElement("li");
  if (entry.server) {
    item.className = "server";
    item.textContent = entry.server;
    if (entry.request) item.append(...requestButtons(entry));
    if (entry.unban) item.append(...unbanButton(entry));
    return item;
  }
  const time = document.createElement("span");
  time.className = "time";
  time.textContent = entry.time ? new Date(entry.time).toLocaleTimeString("fr-FR", { hour: "2-digit", minute: "2-digit" }) : "";
  const from = document.createElement("span");
  from.className = "from";
  from.textContent = `${entry.from} : `;
  const content = document.createElement("span");
  content.className = "content";
  content.append(...contentNodes(entry.content));
  if (state.me && entry.from !== state.me && entry.content.includes("@" + state.me)) {
    item.classList.add("mention");
  }
  item.append(time, from, content, ...messageActions(entry));
  if (entry.failed) {
    item.classList.add("failed");
    const why = document.createElement("span");
    why.className = "not-sent";
    why.textContent = ` — non envoyé : ${entry.failed}`;
    item.append(why);
  }
  return item;
}

function daySeparator(date) {
  const item = document.createElement("li");
  item.className = "day";
  item.textContent = dayLabel(date);
  return item;
}

function dayOf(entry) {
  return entry.time ? new Date(entry.time).toDateString() : null;
}

function renderMessages() {
  const list = $("messages");
  const entries = state.conversations.get(state.current) || [];
  const items = [];
  if (state.older.has(state.current)) {
    const more = document.createElement("li");
    more.className = "older";
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "Afficher les messages plus anciens";
    button.onclick = loadOlder;
    more.append(button);
    items.push(more);
  }
  let day = null;
  for (const entry of entries) {
    const entryDay = dayOf(entry);
    if (entryDay && entryDay !== day) {
      items.push(daySeparator(new Date(entry.time)));
      day = entryDay;
    }
    items.push(messageItem(entry));
  }
  list.replaceChildren(...items);
  list.scrollTop = list.scrollHeight;
}

// One new message at the end: added alone (a screen reader reads it, not the whole list),
// and the list follows it only if it was at the bottom.
function appendMessage(entries, entry) {
  const list = $("messages");
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  const previous = entries.length > 1 ? entries[entries.length - 2] : null;
  if (dayOf(entry) && (!previous || dayOf(previous) !== dayOf(entry))) {
    list.append(daySeparator(new Date(entry.time)));
  }
  list.append(messageItem(entry));
  if (atBottom || entry.from === state.me) list.scrollTop = list.scrollHeight;
}

function setConnection(text) {
  $("connection").textContent = text;
}

function showError(id, text) {
  $(id).textContent = text;
}

function submitMessage(event) {
  event.preventDefault();
  const input = $("message");
  const content = input.value;
  if (!content.trim()) return;
  const length = [...content].length;
  if (length > state.maxChars) {
    showError("chat-error", `Message trop long : ${length} caractères pour ${state.maxChars} au plus.`);
    return;
  }
  $("chat-error").textContent = "";
  const key = state.current;
  const request = key.startsWith("@")
    ? { type: "message", subtype: "private", to: key.slice(1), content }
    : { type: "message", channel: key, content };
  if (!send(request)) return;
  input.value = "";
  // Commands are answered by the server; the sender gets no copy of its own messages, so
  // the page shows them itself, "/shrug" (no command) included.
  const isCommand = isCommandLine(content);
  if (!isCommand) {
    const shown = content.startsWith("//") ? content.slice(1) : content;
    const entry = { from: state.me, content: shown, time: new Date().toISOString() };
    state.lastSent = { entry, key, at: Date.now() };
    addEntry(key, entry);
  }
}

function isCommandLine(content) {
  if (!content.startsWith("/") || content.startsWith("//")) return false;
  if (!state.commands) return true;
  const word = content.slice(1).split(/\s/, 1)[0].toLowerCase();
  return state.commands.has(word);
}

function credentialsFromForm() {
  return { username: $("username").value.trim(), password: $("password").value };
}

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    state.credentials = credentialsFromForm();
    $("login-error").textContent = "";
    login();
  });
  $("register-button").addEventListener("click", () => {
    if (!$("login-form").reportValidity()) return;
    state.credentials = credentialsFromForm();
    state.pendingRegister = true;
    $("login-error").textContent = "";
    send({ type: "register", ...state.credentials });
  });
  $("send-form").addEventListener("submit", submitMessage);
  renderNotifyButton();
  $("notify-button").addEventListener("click", async () => {
    await Notification.requestPermission();
    renderNotifyButton();
  });
  // Enter sends, Shift+Enter starts a new line (pasted code keeps its lines).
  $("message").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("send-form").requestSubmit();
    }
  });
  $("messages").addEventListener("scroll", () => {
    if ($("messages").scrollTop < 20) loadOlder();
  });
  // Back on the tab: what is shown is read.
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) {
      state.unread.delete(state.current);
      renderRooms();
      renderTitle();
    }
  });
  $("join-form").addEventListener("submit", (event) => {
    event.preventDefault();
    let name = $("join-name").value.trim();
    if (!name) return;
    if (!name.startsWith("#")) name = "#" + name;
    send({ type: "join", channel: name });
    $("join-name").value = "";
  });
  $("logout-button").addEventListener("click", () => {
    // The server ends the session's token; without its answer in 2 s, the page goes on.
    state.loggingOut = true;
    if (!state.token || !send({ type: "logout" })) {
      closeAndShowLogin();
      return;
    }
    setTimeout(closeAndShowLogin, 2000);
  });
  $("create-room").addEventListener("click", createRoom);
  $("room-members").addEventListener("click", () => {
    send({ type: "command", action: "room_members", room: state.current });
  });
  $("room-close").addEventListener("click", closeRoom);
  $("menu-button").addEventListener("click", () => {
    openDrawer(!$("sidebar").classList.contains("open"));
  });
  // Escape closes what is open: the drawer, or a person's actions.
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    if ($("sidebar").classList.contains("open")) {
      openDrawer(false);
      $("menu-button").focus();
    } else if (state.openPerson) {
      const name = state.openPerson;
      state.openPerson = null;
      renderUsers();
      const button = [...$("users").querySelectorAll("button")].find((b) => b.dataset.name === name);
      if (button) button.focus();
    }
  });
  restoreSession();
  connect();
});
