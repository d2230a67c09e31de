import { readdirSync, readFileSync } from "node:fs";

/**
 * The CPU time of the workerd process that runs a `wrangler dev` Worker, read from Linux's /proc: a figure a
 * busy machine disturbs far less than wall-clock time. `wrangler dev` runs two workerd processes - its own
 * entry (proxy and inspector proxy, on the public port) and the Worker with its Durable Objects (on port 0) -
 * under its Node process; this is the second. Elsewhere than Linux there is none (null).
 */
const TICKS_PER_MS = 0.1; // USER_HZ is 100 on Linux: a tick is 10 ms

interface Proc {
  pid: number;
  ppid: number;
  cmdline: string;
}

function processes(): Proc[] {
  let entries: string[];
  try {
    entries = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const cmdline = readFileSync(`/proc/${name}/cmdline`, "utf8").replaceAll("\0", " ");
      return [{ pid: Number(name), ppid, cmdline }];
    } catch {
      return []; // gone meanwhile
    }
  });
}

/** The pid of the workerd running the Worker that `wrangler dev` serves on `url`'s port, if found. */
export function workerProcess(url: string): number | null {
  const port = new URL(url).port;
  const all = processes();
  const root = all.find((p) => p.cmdline.includes("wrangler") && p.cmdline.includes(` --port ${port} `));
  if (!root) return null;
  const below = new Set([root.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all)
      if (below.has(p.ppid) && !below.has(p.pid)) {
        below.add(p.pid);
        grew = true;
      }
  }
  const worker = all.find(
    (p) => below.has(p.pid) && p.cmdline.includes("workerd") && p.cmdline.includes("entry=127.0.0.1:0 "),
  );
  return worker?.pid ?? null;
}

/** User plus system CPU time of `pid` so far, in ms (10 ms steps). */
export function cpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_MS;
  } catch {
    return null;
  }
}
