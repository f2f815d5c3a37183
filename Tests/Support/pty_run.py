#!/usr/bin/env python3
"""Runs a command in a pseudo-terminal for SECONDS, copies what it draws to stdout, then stops it.

usage: pty_run.py SECONDS COMMAND [ARG ...]
The child sees a terminal of 120x40 (isatty(1) is true, as for a person at a shell).
"""
import fcntl, os, pty, select, signal, struct, sys, termios, time

seconds = float(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 40, 120, 0, 0))
deadline = time.time() + seconds
out = sys.stdout.buffer
while time.time() < deadline:
    ready, _, _ = select.select([fd], [], [], 0.1)
    if ready:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        out.write(data)
        out.flush()
try:
    os.kill(pid, signal.SIGINT)
    time.sleep(0.3)
    os.kill(pid, signal.SIGKILL)
except ProcessLookupError:
    pass
os.waitpid(pid, 0)
