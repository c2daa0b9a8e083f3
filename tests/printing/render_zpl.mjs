// Renders ZPL to PNG with zpl-renderer-js (the zebrash engine) for the printing tests.
// Protocol: one JSON request per stdin line {zpl, widthMm, heightMm, dpmm};
// one JSON reply per stdout line {pngs: [base64, ...]} or {error: "..."}.
// One long-lived process serves a whole test run, because loading the WASM takes ~0.5 s.
import { createInterface } from "node:readline";
import { ready } from "zpl-renderer-js";

const { api } = await ready;
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  let reply;
  try {
    const req = JSON.parse(line);
    const pngs = await api.zplToBase64MultipleAsync(req.zpl, req.widthMm, req.heightMm, req.dpmm);
    reply = { pngs };
  } catch (err) {
    reply = { error: String(err && err.message ? err.message : err) };
  }
  process.stdout.write(JSON.stringify(reply) + "\n");
}
