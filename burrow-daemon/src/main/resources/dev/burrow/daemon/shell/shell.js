// The browser terminal of one microVM (/shell/{id}): xterm.js fills the window and talks to the
// PTY WebSocket (/v1/microvms/{id}/pty). The page holds no credential: its HttpOnly cookie buys
// a short-lived pty token per connection (POST /shell/{id}/token), which is offered as the
// WebSocket subprotocol burrow.token.<t> beside "burrow" (browsers cannot set headers on a
// WebSocket). An unexpected close reconnects with backoff and a new token. A close because the
// microVM was suspended waits for the user instead: the first key reconnects (the microVM resumes
// when its idle policy has autoResume) and what was typed meanwhile is sent once the shell is
// back. Reconnecting at once would resume a microVM that idled out under an unattended page, and
// it would never stay suspended.
'use strict';

(() => {
    const MIN_BACKOFF_MS = 500;
    const MAX_BACKOFF_MS = 15000;
    /** Keystrokes kept while the terminal is away (suspended, reconnecting); more are dropped. */
    const MAX_TYPEAHEAD_BYTES = 4096;
    /** How the PTY route says a terminal ended because its microVM was suspended (close 1001). */
    const SUSPENDED_CLOSE = 1001;

    const id = decodeURIComponent(location.pathname.split('/')[2] || '');
    const statusBox = document.getElementById('status');
    const term = new Terminal({ cursorBlink: true, scrollback: 5000, fontFamily: 'monospace', fontSize: 15 });
    const fit = new FitAddon.FitAddon();
    term.loadAddon(fit);
    term.open(document.getElementById('terminal'));
    fit.fit();
    term.focus();

    const encoder = new TextEncoder();
    let socket = null;
    let backoff = MIN_BACKOFF_MS;
    let typeahead = [];
    let typeaheadBytes = 0;

    // what the page shows of itself, for people (the status box) and for tests (window.burrowShell)
    const shell = {
        term,
        state: 'connecting',
        connections: 0,
        exitCode: null,
        /** The lines of the active buffer, trailing blanks trimmed. */
        lines() {
            const buffer = term.buffer.active;
            const out = [];
            for (let i = 0; i < buffer.length; i++) {
                out.push(buffer.getLine(i).translateToString(true));
            }
            return out;
        },
    };
    window.burrowShell = shell;

    function show(state, text, final) {
        shell.state = state;
        statusBox.textContent = text;
        statusBox.classList.toggle('final', Boolean(final));
        statusBox.hidden = state === 'connected';
    }

    class Expired extends Error {}

    async function freshToken() {
        const r = await fetch(`/shell/${encodeURIComponent(id)}/token`, {
            method: 'POST',
            credentials: 'same-origin',
            cache: 'no-store',
        });
        if (r.status === 401) {
            throw new Expired('this terminal link has expired');
        }
        if (!r.ok) {
            throw new Error(`the token request failed with HTTP ${r.status}`);
        }
        return (await r.json()).token;
    }

    function retryLater() {
        const delay = backoff * (0.75 + Math.random() / 2);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        show('reconnecting', 'reconnecting…');
        setTimeout(connect, delay);
    }

    function sendResize() {
        if (socket && socket.readyState === WebSocket.OPEN) {
            socket.send(JSON.stringify({ resize: { cols: term.cols, rows: term.rows } }));
        }
    }

    function control(text) {
        let message;
        try {
            message = JSON.parse(text);
        } catch (e) {
            return;
        }
        if (message && typeof message.exit === 'number') {
            shell.exitCode = message.exit;
            term.write(`\r\n[exited with code ${message.exit}]\r\n`);
            show('exited', `exited with code ${message.exit}; reload the page for a new shell`, true);
        } else if (message && message.error) {
            term.write(`\r\n[${message.error.detail || message.error.title || 'error'}]\r\n`);
        }
    }

    async function connect() {
        let token;
        try {
            token = await freshToken();
        } catch (e) {
            if (e instanceof Expired) {
                show('expired', 'this terminal link has expired; open a new one', true);
            } else {
                retryLater();
            }
            return;
        }
        const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
        const url = `${scheme}//${location.host}/v1/microvms/${encodeURIComponent(id)}/pty?cols=${term.cols}&rows=${term.rows}`;
        const ws = new WebSocket(url, ['burrow', 'burrow.token.' + token]);
        ws.binaryType = 'arraybuffer';
        socket = ws;
        ws.onopen = () => {
            backoff = MIN_BACKOFF_MS;
            shell.connections++;
            show('connected', 'connected');
            sendResize();
            typeahead.forEach((bytes) => ws.send(bytes));
            typeahead = [];
            typeaheadBytes = 0;
        };
        ws.onmessage = (event) => {
            if (typeof event.data === 'string') {
                control(event.data);
            } else {
                term.write(new Uint8Array(event.data));
            }
        };
        ws.onclose = (event) => {
            if (socket !== ws) {
                return;
            }
            socket = null;
            if (shell.state === 'exited') {
                return;
            }
            if (event.code === SUSPENDED_CLOSE && /suspended/.test(event.reason)) {
                show('suspended', 'the microVM is suspended; press a key to resume it');
            } else {
                retryLater();
            }
        };
    }

    /** Input: sent when connected, else kept (bounded) for the next connection; a key on a suspended terminal reconnects. */
    function input(bytes) {
        if (socket && socket.readyState === WebSocket.OPEN) {
            socket.send(bytes);
            return;
        }
        if (shell.state === 'exited' || shell.state === 'expired') {
            return;
        }
        if (typeaheadBytes + bytes.length <= MAX_TYPEAHEAD_BYTES) {
            typeahead.push(bytes);
            typeaheadBytes += bytes.length;
        }
        if (shell.state === 'suspended') {
            show('connecting', 'resuming…');
            connect();
        }
    }

    term.onData((data) => input(encoder.encode(data)));
    term.onBinary((data) => input(Uint8Array.from(data, (c) => c.charCodeAt(0))));
    term.onResize(sendResize);

    let fitPending = false;
    window.addEventListener('resize', () => {
        if (!fitPending) {
            fitPending = true;
            requestAnimationFrame(() => {
                fitPending = false;
                fit.fit();
            });
        }
    });

    connect();
})();
