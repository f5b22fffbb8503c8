// The pthread worker of tfjs-backend-wasm's threaded SIMD build, as a file that
// Node's worker_threads can load (tfjs hands Emscripten a blob: URL, which Node
// refuses). The package ships the worker's source as a string; it runs here
// as the CommonJS worker script Emscripten expects (its `\n` escapes kept).
"use strict";
const { wasmWorkerContents } = require("@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js");
new Function("require", "__filename", wasmWorkerContents.replace(/\n/g, "\\n"))(require, __filename);
