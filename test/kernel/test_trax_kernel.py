"""The Jupyter kernel test suite (jupyter_kernel_test) run against the trax-ts kernel.

Run by test/kernel/kernel-suite.test.ts with JUPYTER_PATH pointing at a
temporary kernelspec install: /usr/bin/python3 -m unittest test_trax_kernel
"""
import os
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

    # tslab keeps no history.
    supported_history_operations = ()

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


if __name__ == "__main__":
    unittest.main()
