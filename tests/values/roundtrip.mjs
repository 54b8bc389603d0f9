// Cross-language check of the Go package client/values against the official
// convex/values (convexToJson / jsonToConvex). Driven by values_test.go.
//
//   node roundtrip.mjs gen N SEED   print N random Convex values, one
//                                   JSON.stringify(convexToJson(v)) per line
//   node roundtrip.mjs echo         for each line of stdin, print
//                                   JSON.stringify(convexToJson(jsonToConvex(JSON.parse(line))))
//                                   or "ERR <message>" if that throws
import { convexToJson, jsonToConvex } from "convex/values";

// mulberry32: a small seeded PRNG, so that a failing seed can be replayed.
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generator(seed) {
  const rnd = prng(seed);
  const int = (n) => Math.floor(rnd() * n); // 0 <= int(n) < n
  const pick = (xs) => xs[int(xs.length)];
  const u32 = () => int(2 ** 32);

  const specialFloats = [
    NaN, Infinity, -Infinity, -0, 0, 1, -1, 0.5, 1e300, -1e300, 5e-324, -5e-324,
    1e21, 1e-7, 1e-6, 123456789012345680000, 2 ** 53, -(2 ** 53), 2 ** 53 + 2,
    Number.MAX_VALUE, -Number.MAX_VALUE, 2.2250738585072014e-308, 0.1 + 0.2,
  ];
  function float() {
    switch (int(5)) {
      case 0:
        return pick(specialFloats);
      case 1: // an integer in ±2^53
        return (rnd() < 0.5 ? -1 : 1) * Math.floor(rnd() * 2 ** int(54));
      case 2: { // any bit pattern; NaN as the canonical NaN (Go writes
        // every NaN that way, JS keeps a NaN's payload bits)
        const dv = new DataView(new ArrayBuffer(8));
        dv.setUint32(0, u32());
        dv.setUint32(4, u32());
        const f = dv.getFloat64(0);
        return Number.isNaN(f) ? NaN : f;
      }
      case 3: // a short decimal
        return Number((rnd() * 10 ** (int(20) - 10)).toPrecision(1 + int(17)));
      default:
        return (rnd() - 0.5) * 10 ** (int(40) - 20);
    }
  }

  const extremes = [0n, 1n, -1n, 256n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 53n + 1n, -(2n ** 32n)];
  function bigint() {
    if (rnd() < 0.3) return pick(extremes);
    return BigInt.asIntN(64, (BigInt(u32()) << 32n) | BigInt(u32()));
  }

  const specialChars = [
    "\u0000", "\u0001", "\u001f", "\b", "\f", "\n", "\r", "\t", "\"", "\\", "/",
    "\u007f", "\u0080", "\u2028", "\u2029", "é", "✓", "<", ">", "&", "'",
    "\ufeff", "\ufffd", "\uffff", "😀", "\u{10ffff}", "𝄞",
  ];
  function char() {
    switch (int(5)) {
      case 0:
        return pick(specialChars);
      case 1: { // any code point but a surrogate
        const cp = int(0x110000 - 0x800);
        return String.fromCodePoint(cp < 0xd800 ? cp : cp + 0x800);
      }
      case 2:
        return String.fromCharCode(int(0x80));
      default:
        return String.fromCharCode(32 + int(95));
    }
  }
  function string() {
    let s = "";
    for (let n = int(16); n > 0; n--) s += char();
    return s;
  }

  function bytes() {
    const b = new Uint8Array(int(24));
    for (let i = 0; i < b.length; i++) b[i] = int(256);
    return b.buffer;
  }

  // Array-index keys ("0" … "4294967294") are listed first by a JS object,
  // so they get a share of their own.
  const numericNames = ["0", "1", "9", "10", "01", "-1", "1.5", "4294967294", "4294967295", "99999999999"];
  function fieldName() {
    if (rnd() < 0.15) return rnd() < 0.5 ? pick(numericNames) : String(int(2 ** int(33)));
    let s = pick(["", "", "", "_", "_id", "a", "A"]);
    for (let n = 1 + int(10); n > 0; n--) s += String.fromCharCode(32 + int(95));
    return s[0] === "$" ? "x" + s : s;
  }

  function value(depth) {
    const k = int(depth < 6 ? 10 : 7);
    switch (k) {
      case 0:
        return null;
      case 1:
        return rnd() < 0.5;
      case 2:
        return float();
      case 3:
        return bigint();
      case 4:
        return string();
      case 5:
        return bytes();
      case 6:
        return float();
      case 7:
      case 8: {
        const a = [];
        for (let n = int(6); n > 0; n--) a.push(value(depth + 1));
        return a;
      }
      default: {
        const o = {};
        for (let n = int(7); n > 0; n--) o[fieldName()] = value(depth + 1);
        return o;
      }
    }
  }
  return () => value(0);
}

async function readStdin() {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return Buffer.concat(chunks).toString("utf8");
}

const [mode, ...args] = process.argv.slice(2);
if (mode === "gen") {
  const n = Number(args[0] ?? 1000);
  const next = generator(Number(args[1] ?? 1));
  const out = [];
  for (let i = 0; i < n; i++) out.push(JSON.stringify(convexToJson(next())));
  process.stdout.write(out.join("\n") + "\n");
} else if (mode === "echo") {
  const lines = (await readStdin()).split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const out = lines.map((line) => {
    try {
      return JSON.stringify(convexToJson(jsonToConvex(JSON.parse(line))));
    } catch (e) {
      return "ERR " + String(e?.message ?? e).replace(/[\r\n]+/g, " ");
    }
  });
  process.stdout.write(out.join("\n") + (out.length ? "\n" : ""));
} else {
  process.stderr.write("usage: node roundtrip.mjs gen N SEED | echo\n");
  process.exit(2);
}
