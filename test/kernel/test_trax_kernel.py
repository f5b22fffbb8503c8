"""The Jupyter kernel test suite (jupyter_kernel_test) run against the trax-ts kernel.

Run by test/kernel/kernel-suite.test.ts with JUPYTER_PATH pointing at a
temporary kernelspec install: /usr/bin/python3 -m unittest test_trax_kernel
"""
import os
import re
import time
import unittest

import jupyter_kernel_test
from jupyter_kernel_test.msgspec_v5 import validate_message


class TraxKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = os.environ.get("TRAX_KERNEL_NAME", "trax-ts")
    language_name = "typescript"
    file_extension = ".ts"

    code_hello_world = 'console.log("hello, world")'
    code_stderr = 'console.error("a warning on stderr")'
    code_generate_error = 'throw new Error("boom")'

    # trax, tl and tf are predefined; the last expression is the result.
    code_execute_result = [
        {"code": "1 + 2", "result": "3"},
        {"code": "const n: number = 6;\nn * 7", "result": "42"},
        {"code": "tl.Dense(4).nOut", "result": "1"},
        # tf and tl are namespaces too: their types work in annotations.
        {"code": "const t: tf.Tensor = tf.ones([2]);\nconst d: tl.Layer = tl.Dense(3);\nd(t.reshape([1, 2])).shape", "result": "[ 1, 3 ]"},
        {"code": "tl.Serial(tl.Dense(4), tl.Relu())(tf.ones([2, 3])).shape", "result": "[ 2, 4 ]"},
        # Tensors and layers come out through their display bundles.
        {"code": "tf.tensor2d([[1, 2], [3, 4]])", "mime": "text/html"},
        {"code": "tl.Serial(tl.Dense(4), tl.Relu())", "mime": "text/html"},
    ]

    # trax.display.show goes out as display_data (the tensor view has HTML).
    code_display_data = [
        {"code": "await trax.display.show(tf.ones([3, 3]))", "mime": "text/html"},
        {"code": "await trax.display.show(tl.Dense(2))", "mime": "text/plain"},
    ]

    completion_samples = [
        {"text": "const abcdefgh = 1;\nabcdef", "matches": {"abcdefgh"}},
    ]
    code_inspect_sample = "tl.Dense"

    complete_code_samples = ["1 + 2", "const x = 1;"]
    incomplete_code_samples = ["function f() {"]
    invalid_code_samples = ["const = ;", "let 1x = 2;"]

    # history_request: the cells of this session.
    supported_history_operations = ("tail", "range", "search")
    code_history_pattern = "1 +*"

    def test_completion_of_layers(self):
        """Completion knows trax-ts's API (types from the package's own .d.ts)."""
        self.flush_channels()
        code = "tl.Dens"
        msg_id = self.kc.complete(code, len(code))
        reply = self.get_non_kernel_info_reply(timeout=30)
        validate_message(reply, "complete_reply", msg_id)
        self.assertIn("Dense", reply["content"]["matches"])

    def test_inspect_layer(self):
        """Inspection shows the TSDoc of a trax-ts symbol."""
        self.flush_channels()
        code = "tl.Dense"
        msg_id = self.kc.inspect(code, len(code))
        reply = self.get_non_kernel_info_reply(timeout=30)
        validate_message(reply, "inspect_reply", msg_id)
        self.assertTrue(reply["content"]["found"])
        self.assertIn("Dense", reply["content"]["data"]["text/plain"])

    def test_layer_error_is_readable_and_state_survives(self):
        """A LayerError shows its message, not an engine stack; variables survive it."""
        self.flush_channels()
        reply, _ = self.execute_helper("const kept = 5;")
        self.assertEqual(reply["content"]["status"], "ok")
        reply, outputs = self.execute_helper(
            "tl.Serial(tl.Dense(4), tl.Add())(tf.ones([1, 3]))", stop_on_error=False
        )
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(reply["content"]["ename"], "LayerError")
        errors = [m for m in outputs if m["msg_type"] == "error"]
        self.assertEqual(len(errors), 1)
        text = "\n".join(errors[0]["content"]["traceback"])
        self.assertIn("LayerError", text)
        self.assertIn("Serial", text)
        self.assertNotIn("tf-core", text)
        self.assertNotIn("node_modules", text)
        reply, outputs = self.execute_helper("kept + 1")
        self.assertEqual(reply["content"]["status"], "ok")
        results = [m for m in outputs if m["msg_type"] == "execute_result"]
        self.assertEqual(results[0]["content"]["data"]["text/plain"], "6")

    def test_display_updates_in_place(self):
        """show() with a display id, then an update: display_data, then update_display_data with that id."""
        self.flush_channels()
        code = (
            'await trax.display.show(tf.ones([2]), { displayId: "live-1" });\n'
            'await trax.display.show(tf.zeros([2]), { displayId: "live-1", update: true });'
        )
        reply, outputs = self.execute_helper(code)
        self.assertEqual(reply["content"]["status"], "ok")
        kinds = [m["msg_type"] for m in outputs if m["msg_type"] != "stream"]
        self.assertEqual(kinds, ["display_data", "update_display_data"])
        for m in outputs[:2]:
            self.assertEqual(m["content"]["transient"]["display_id"], "live-1")
            self.assertIn("text/html", m["content"]["data"])

    def test_type_error_is_reported(self):
        """A TypeScript error fails the cell with the compiler's message."""
        self.flush_channels()
        reply, outputs = self.execute_helper('const s: number = "text";', stop_on_error=False)
        self.assertEqual(reply["content"]["status"], "error")
        errors = [m for m in outputs if m["msg_type"] == "error"]
        self.assertEqual(len(errors), 1)
        self.assertIn("not assignable", errors[0]["content"]["evalue"])

    def execute_until_idle(self, code, timeout=120):
        """Executes code; returns (reply, outputs) with outputs gathered until the kernel is idle."""
        self.flush_channels()
        msg_id = self.kc.execute(code, stop_on_error=False)
        outputs = []
        while True:
            msg = self.kc.get_iopub_msg(timeout=timeout)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
            if msg["msg_type"] not in ("status", "execute_input"):
                outputs.append(msg)
        return self.get_non_kernel_info_reply(timeout=timeout), outputs

    def test_declarations_before_a_throw_survive(self):
        """A cell that throws keeps what it declared before the throw (as Python does), not what follows it."""
        reply, _ = self.execute_until_idle(
            'const d3 = (x: number) => x * 3;\nlet d3n = 1;\nthrow new Error("bad");\nconst afterThrow = 2;'
        )
        self.assertEqual(reply["content"]["status"], "error")
        reply, outputs = self.execute_until_idle("d3(d3n + 1)")
        self.assertEqual(reply["content"]["status"], "ok", outputs)
        results = [m for m in outputs if m["msg_type"] == "execute_result"]
        self.assertEqual(results[0]["content"]["data"]["text/plain"], "6")
        reply, outputs = self.execute_until_idle("afterThrow")
        self.assertEqual(reply["content"]["status"], "error")
        self.assertIn("Cannot find name 'afterThrow'", reply["content"]["evalue"])
        # A name the failing cell redeclared but never reached keeps its earlier value and type.
        self.execute_until_idle("const kept2 = 41;")
        self.execute_until_idle('throw new Error("early");\nconst kept2 = "never";')
        reply, outputs = self.execute_until_idle("kept2 + 1")
        self.assertEqual(reply["content"]["status"], "ok", outputs)
        results = [m for m in outputs if m["msg_type"] == "execute_result"]
        self.assertEqual(results[0]["content"]["data"]["text/plain"], "42")

    def test_error_locations_are_the_cells_own_lines(self):
        """Stack frames and "layer created at" point at the cell's TypeScript lines, not the transpiled code."""
        code = (
            "// a comment line\n"
            "const bad = tl.Serial(tl.Dense(4), tl.Add());\n"
            "bad(tf.ones([1, 3]));"
        )
        reply, _ = self.execute_until_idle(code)
        content = reply["content"]
        self.assertEqual(content["ename"], "LayerError")
        created = re.search(r"layer created at (In\[(\d+)\]):(\d+):(\d+)", content["evalue"])
        self.assertIsNotNone(created, content["evalue"])
        self.assertEqual(int(created.group(2)), content["execution_count"])
        # Line 2, at `Serial(` (TypeScript column 19: "const bad = tl.Serial").
        self.assertEqual((created.group(3), created.group(4)), ("2", str(code.split("\n")[1].index("Serial") + 1)))
        self.assertNotIn("evalmachine", content["evalue"])
        reply, _ = self.execute_until_idle(
            "interface P { x: number }\n"
            "function deep(p: P): number {\n"
            "  if (p.x > 1) throw new Error('deep');\n"
            "  return p.x;\n"
            "}\n"
            "deep({ x: 3 });"
        )
        frames = [l for l in reply["content"]["traceback"] if l.strip().startswith("at ")]
        self.assertTrue(frames, reply["content"]["traceback"])
        self.assertRegex(frames[0], r"at deep \(In\[\d+\]:3:22\)")  # at `new Error`, as V8 reports it
        self.assertRegex(frames[1], r"In\[\d+\]:6:1")

    TRAINING_SETUP = (
        "const [trainSet] = trax.data.digits({ shape: [64] }).split({ evalFraction: 0.2, seed: 0 });\n"
        "const mlp = tl.Serial(tl.Dense(16), tl.Relu(), tl.Dense(10), tl.LogSoftmax());\n"
        "const task = trax.supervised.TrainTask(() => trax.data.batches(trainSet, 16, { seed: 0 }),\n"
        "  tl.CrossEntropyLoss(), trax.optimizers.Adam({ learningRate: 0.01 }));\n"
        "const loop = trax.supervised.Loop(mlp, task, { stepsPerEval: 1000000 });"
    )

    def test_interrupt_stops_training_after_a_step_and_it_resumes(self):
        """Interrupt during `await loop.run(1e6)`: KeyboardInterrupt naming the step; the loop resumes from it."""
        reply, outputs = self.execute_until_idle(self.TRAINING_SETUP)
        self.assertEqual(reply["content"]["status"], "ok", outputs)
        self.flush_channels()
        msg_id = self.kc.execute("await loop.run(1000000)", stop_on_error=False)
        # Readiness: the progress display's first update comes from inside the running steps.
        while True:
            msg = self.kc.get_iopub_msg(timeout=120)
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "update_display_data":
                break
        self.km.interrupt_kernel()
        outputs = []
        while True:
            msg = self.kc.get_iopub_msg(timeout=120)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
            outputs.append(msg)
        reply = self.get_non_kernel_info_reply(timeout=60)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(reply["content"]["ename"], "KeyboardInterrupt")
        step = int(re.search(r"after step (\d+)", reply["content"]["evalue"]).group(1))
        self.assertGreater(step, 0)
        # The progress display says where it stopped.
        updates = [m for m in outputs if m["msg_type"] == "update_display_data"]
        self.assertIn(f"interrupted after step {step}", updates[-1]["content"]["data"]["text/plain"])
        reply, outputs = self.execute_until_idle("loop.step")
        self.assertEqual([m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"], [str(step)])
        reply, outputs = self.execute_until_idle("await loop.run(2);\nloop.step")
        self.assertEqual(reply["content"]["status"], "ok", outputs)
        self.assertEqual([m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"], [str(step + 2)])

    def test_forgotten_await_shows_the_run_and_its_rejection(self):
        """`loop.run(n)` without await shows a live progress display and a display of the run that
        is updated with its outcome; a second run's rejection shows in its cell. (The first run is
        a million steps, stopped by `loop.stop()` from a later cell: it is still running when the
        second cell runs however fast the steps are.)"""
        reply, outputs = self.execute_until_idle(self.TRAINING_SETUP.replace("const loop", "const bgLoop").replace("mlp", "bgMlp"))
        self.assertEqual(reply["content"]["status"], "ok", outputs)
        reply, outputs = self.execute_until_idle("bgLoop.run(1000000)")
        self.assertEqual(reply["content"]["status"], "ok")
        shown = [m for m in outputs if m["msg_type"] == "display_data"]
        texts = [m["content"]["data"]["text/plain"] for m in shown]
        self.assertTrue(any(t.startswith("step 0/1000000") for t in texts), texts)
        run_display = [m for m in shown if "training in the background" in m["content"]["data"]["text/plain"]]
        self.assertEqual(len(run_display), 1, texts)
        run_id = run_display[0]["content"]["transient"]["display_id"]
        # A second run while the first goes on: its rejection shows in its own cell's display.
        reply, outputs = self.execute_until_idle("bgLoop.run(5)")
        failed = [m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "update_display_data"]
        self.assertTrue(any("already running" in t for t in failed), [m["content"] for m in outputs])
        # Stopped from another cell, the first run's display is updated in place with its outcome
        # (that update belongs to the first cell, so it is watched for here, not dropped as another
        # cell's message while this one runs).
        self.flush_channels()
        stop_id = self.kc.execute("bgLoop.stop()", stop_on_error=False)
        deadline = time.monotonic() + 300
        finished, stop_idle = None, False
        while (finished is None or not stop_idle) and time.monotonic() < deadline:
            msg = self.kc.get_iopub_msg(timeout=300)
            if msg["msg_type"] == "update_display_data" and msg["content"]["transient"]["display_id"] == run_id and "finished" in msg["content"]["data"]["text/plain"]:
                finished = msg["content"]["data"]["text/plain"]
            if msg["parent_header"].get("msg_id") == stop_id and msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                stop_idle = True
        self.assertEqual(self.get_non_kernel_info_reply(timeout=60)["content"]["status"], "ok")
        self.assertRegex(finished or "", r"^loop\.run\(1000000\) finished at step \d+$")
        reply, outputs = self.execute_until_idle("bgLoop.step < 1000000")
        self.assertEqual([m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"], ["true"])

    def test_one_display_per_loop(self):
        """In a notebook a loop shows one display: its progress line updated in place, or, with a
        live chart attached, the chart alone; no "Step N" lines besides."""
        setup = self.TRAINING_SETUP.replace("const loop", "const oneLoop").replace("mlp", "oneMlp")
        setup = setup.replace("stepsPerEval: 1000000", "stepsPerEval: 5")
        reply, outputs = self.execute_until_idle(setup)
        self.assertEqual(reply["content"]["status"], "ok", outputs)
        for code, kind in (("await oneLoop.run(10);", "progress"), ("trax.display.attachLiveView(oneLoop);\nawait oneLoop.run(10);", "chart")):
            reply, outputs = self.execute_until_idle(code)
            self.assertEqual(reply["content"]["status"], "ok", outputs)
            streams = "".join(m["content"]["text"] for m in outputs if m["msg_type"] == "stream")
            self.assertNotIn("Step", streams, kind)
            shown = [m for m in outputs if m["msg_type"] == "display_data"]
            self.assertEqual(len(shown), 1, f"{kind}: {[m['content']['data']['text/plain'][:60] for m in shown]}")
            display_id = shown[0]["content"]["transient"]["display_id"]
            updates = [m for m in outputs if m["msg_type"] == "update_display_data"]
            self.assertTrue(updates, kind)
            self.assertEqual({m["content"]["transient"]["display_id"] for m in updates}, {display_id}, kind)
            last = updates[-1]["content"]["data"]
            if kind == "progress":
                self.assertRegex(last["text/plain"], r"^step (10|20)/(10|20) \[#+\] 100%")
            else:
                self.assertIn("application/vnd.vegalite.v5+json", last)

    def test_unhandled_rejection_is_reported(self):
        """A promise made in a cell that rejects with nobody awaiting it is reported on stderr, with its cell line."""
        reply, outputs = self.execute_until_idle(
            "const never = new Promise((_, reject) => setImmediate(() => reject(new Error('lost'))));\n"
            "await new Promise((r) => setTimeout(r, 50));"
        )
        self.assertEqual(reply["content"]["status"], "ok")
        text = "".join(m["content"]["text"] for m in outputs if m["msg_type"] == "stream")
        self.assertIn("Unhandled promise rejection", text)
        self.assertIn("Error: lost", text)
        self.assertRegex(text, r"In\[\d+\]:1:\d+")


if __name__ == "__main__":
    unittest.main()
