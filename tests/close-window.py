#!/usr/bin/python3
"""Asks the window whose title contains the first argument to close, as a window manager's close
button does (a WM_DELETE_WINDOW client message), so the app can save its state first."""
import sys

from Xlib import X, display, protocol

name = sys.argv[1]
d = display.Display()
root = d.screen().root
delete = d.intern_atom("WM_DELETE_WINDOW")
protocols = d.intern_atom("WM_PROTOCOLS")


def windows(w):
    yield w
    for child in w.query_tree().children:
        yield from windows(child)


sent = 0
for w in windows(root):
    title = w.get_wm_name()
    if isinstance(title, bytes):
        title = title.decode("utf-8", "replace")
    if title and name in title:
        event = protocol.event.ClientMessage(
            window=w, client_type=protocols, data=(32, [delete, X.CurrentTime, 0, 0, 0])
        )
        w.send_event(event, event_mask=X.NoEventMask)
        sent += 1
d.sync()
if not sent:
    sys.exit(f"no window titled {name!r}")
print(f"asked {sent} window(s) to close")
