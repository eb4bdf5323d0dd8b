"""A Burrow example app: JSON on 8080, Burrow's lifecycle hooks on 9000 (stdlib only).

GET / on 8080 answers {"app": "python-app", "hits": N, "instance": ..., "payload": ...}.
The hooks (docs/lifecycle.md) are POST /burrow/v1/<hook> on 9000:
  ready     200 once the app answers on 8080 (503 before: "not yet")
  validate  200 when GET / answers as it should (run once, on the template, at build time)
  run       a microVM starts from the template: count hits from 0, take its hostname and payload
  suspend   write the counter to disk, resume reads it back (a resumed microVM goes on counting)
"""
import json
import os
import socket
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

APP_PORT = int(os.environ.get("APP_PORT", "8080"))
HOOKS_PORT = int(os.environ.get("HOOKS_PORT", "9000"))
STATE_FILE = os.environ.get("STATE_FILE", "/tmp/python-app.state")
MAX_PAYLOAD = 64 * 1024

state = {"hits": 0, "instance": socket.gethostname(), "payload": None}
lock = threading.Lock()


class App(BaseHTTPRequestHandler):
    def do_GET(self):
        with lock:
            if self.path == "/":
                state["hits"] += 1
            body = json.dumps({"app": "python-app", "hits": state["hits"],
                               "instance": state["instance"], "payload": state["payload"]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass


def app_answers():
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{APP_PORT}/health", timeout=2) as r:
            return r.status == 200 and json.load(r).get("app") == "python-app"
    except OSError:
        return False


class Hooks(BaseHTTPRequestHandler):
    def do_POST(self):
        length = min(int(self.headers.get("Content-Length") or 0), MAX_PAYLOAD)
        body = self.rfile.read(length) if length else b""
        hook = self.path.removeprefix("/burrow/v1/")
        if hook in ("ready", "validate"):
            status = 200 if app_answers() else 503
        elif hook == "run":
            with lock:
                state["hits"] = 0
                state["instance"] = socket.gethostname()  # the agent set this microVM's own before the hook
                state["payload"] = body.decode("utf-8", "replace") or None
            status = 200
        elif hook == "suspend":
            with lock:
                with open(STATE_FILE, "w") as f:
                    json.dump(state, f)
            status = 200
        elif hook == "resume":
            with lock:
                if os.path.exists(STATE_FILE):
                    with open(STATE_FILE) as f:
                        state.update(json.load(f))
            status = 200
        elif hook == "terminate":
            status = 200
        else:
            status = 404
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, fmt, *args):
        pass


def main():
    hooks = ThreadingHTTPServer(("0.0.0.0", HOOKS_PORT), Hooks)
    threading.Thread(target=hooks.serve_forever, daemon=True).start()
    print(f"python-app on :{APP_PORT}, hooks on :{HOOKS_PORT}", flush=True)
    ThreadingHTTPServer(("0.0.0.0", APP_PORT), App).serve_forever()


if __name__ == "__main__":
    main()
