"""A real HTTP receiver for the webhook tests, run as its own process on 127.0.0.1:
``python tests/webhook_receiver.py PORT SECRET MODE_FILE LOG_FILE``. It checks each request's
signature as a receiver should and writes one JSON line per request to LOG_FILE; MODE_FILE
says how to answer: ``ok`` (200), ``fail`` (500) or ``slow`` (200 after 3 seconds)."""

import hashlib
import hmac
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PORT, SECRET, MODE_FILE, LOG_FILE = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        timestamp = self.headers["X-KoningKlant-Timestamp"]
        expected = hmac.new(SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
        signed = hmac.compare_digest(
            "sha256=" + expected.hexdigest(), self.headers["X-KoningKlant-Signature"]
        )
        mode = Path(MODE_FILE).read_text().strip()
        with open(LOG_FILE, "a") as log:
            line = {
                "event": self.headers["X-KoningKlant-Event"],
                "delivery": self.headers["X-KoningKlant-Delivery"],
                "signed": signed,
                "payload": json.loads(body),
                "mode": mode,
            }
            log.write(json.dumps(line) + "\n")
        if mode == "slow":
            time.sleep(3)
        status = 500 if mode == "fail" else (200 if signed else 401)
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b"thanks" if status == 200 else b"broken")

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", PORT), Receiver).serve_forever()
