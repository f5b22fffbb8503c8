"""Drives `trax-ts repl` in a pseudo-terminal for test/repl/interrupt.test.ts.

argv: launcher. Prints the whole session transcript. Steps: set up a small
loop, start `await loop.run(1000000)`, wait until the progress bar shows a
step past 0, press Ctrl-C, then ask for `loop.step` and run two more steps.
Every wait is bounded (generous) and keyed on what the REPL prints.
"""
import os
import pty
import re
import select
import sys
import time

launcher = sys.argv[1]
pid, fd = pty.fork()
if pid == 0:
    os.environ["TRAX_QUIET"] = "1"
    os.execvp("node", ["node", launcher, "repl"])

out = b""


def wait_for(pattern, timeout=180):
    global out
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = re.search(pattern, out)
        if m:
            return m
        r, _, _ = select.select([fd], [], [], 0.5)
        if r:
            try:
                out += os.read(fd, 65536)
            except OSError:
                break
    sys.stdout.write(out.decode("utf8", "replace"))
    raise SystemExit(f"timed out waiting for {pattern!r}")


def send(line):
    os.write(fd, line.encode() + b"\r")


prompts = 0


def next_prompt():
    global prompts
    prompts += 1
    wait_for(rb"(trax> (.|\n)*){%d}" % prompts)


next_prompt()
send('const [trainSet] = trax.data.digits({ shape: [64] }).split({ evalFraction: 0.2, seed: 0 }); const mlp = tl.Serial(tl.Dense(16), tl.Relu(), tl.Dense(10), tl.LogSoftmax());')
next_prompt()
send('const loop = trax.supervised.Loop(mlp, trax.supervised.TrainTask(() => trax.data.batches(trainSet, 16, { seed: 0 }), tl.CrossEntropyLoss(), trax.optimizers.Adam({ learningRate: 0.01 })), { stepsPerEval: 1000000 });')
next_prompt()
send("await loop.run(1000000)")
wait_for(rb"step [1-9]\d* ")  # the bar moved: the loop is running its steps
os.write(fd, b"\x03")
wait_for(rb"KeyboardInterrupt")
next_prompt()
send("`step=${loop.step}`")
next_prompt()
send("await loop.run(2); `after=${loop.step}`")
next_prompt()
send(".exit")
try:
    while True:
        r, _, _ = select.select([fd], [], [], 30)
        if not r:
            break
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        out += chunk
except OSError:
    pass
sys.stdout.write(out.decode("utf8", "replace"))
