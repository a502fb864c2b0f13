#!/usr/bin/env python3
"""The raw-fetch floor for benches/sync.sh: what any IMAP client must at least spend to download a
folder. One TLS connection, LOGIN, EXAMINE, one `UID FETCH 1:* (BODY.PEEK[])`, every byte read and
thrown away, LOGOUT. No parsing beyond framing (literals are skipped by their announced length), no
storing. Prints the messages and bytes received.

usage: floor.py HOST PORT USER PASSWORD CA_FILE [MAILBOX]"""
import re
import socket
import ssl
import sys

HOST, PORT, USER, PASSWORD, CA = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
MAILBOX = sys.argv[6] if len(sys.argv) > 6 else "INBOX"
READ = 1 << 20
LITERAL = re.compile(rb"\{(\d+)\+?\}\r\n$")


class Conn:
    def __init__(self):
        context = ssl.create_default_context(cafile=CA)
        raw = socket.create_connection((HOST, PORT))
        self.sock = context.wrap_socket(raw, server_hostname=HOST)
        self.buf = bytearray()
        self.received = 0

    def fill(self):
        chunk = self.sock.recv(READ)
        if not chunk:
            sys.exit("floor: the server closed the connection")
        self.received += len(chunk)
        self.buf += chunk

    def line(self):
        """One line of a response; a line announcing a literal is followed by its bytes, which are
        skipped (counted, never kept)."""
        while True:
            end = self.buf.find(b"\r\n")
            if end >= 0:
                break
            self.fill()
        line = bytes(self.buf[: end + 2])
        del self.buf[: end + 2]
        announced = LITERAL.search(line)
        if announced:
            left = int(announced.group(1))
            while left:
                if not self.buf:
                    self.fill()
                take = min(left, len(self.buf))
                del self.buf[:take]
                left -= take
        return line, bool(announced)

    def command(self, tag, text):
        self.sock.sendall(f"{tag} {text}\r\n".encode())
        literals = 0
        while True:
            line, literal = self.line()
            literals += literal
            if line.startswith(tag.encode() + b" "):
                if not line[len(tag) + 1:].startswith(b"OK"):
                    sys.exit(f"floor: {text.split()[0]} failed: {line!r}")
                return literals


def main():
    conn = Conn()
    conn.line()  # greeting
    conn.command("a1", f'LOGIN "{USER}" "{PASSWORD}"')
    conn.command("a2", f'EXAMINE "{MAILBOX}"')
    messages = conn.command("a3", "UID FETCH 1:* (BODY.PEEK[])")
    conn.command("a4", "LOGOUT")
    print(f"floor: {messages} messages, {conn.received} bytes over TLS")


if __name__ == "__main__":
    main()
