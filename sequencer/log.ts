/**
 * Structured JSON logs (pino): one JSON object per line on stdout, `level` as its name
 * ("info", "error", as the poster's and deriver's lines always had it), `time` in ISO 8601,
 * and the ids a reader joins on: `reqId` on API lines, `batch` (op-log index) and `l1Batch`
 * (= batch + 1) on seal and post lines. `CROSSMARGIN_LOG_LEVEL` picks the level (default
 * info; `debug` adds one line per API request).
 */
import { type DestinationStream, type Logger, type LevelWithSilent, pino } from "pino";

export type { Logger };

export const LOG_LEVELS: readonly LevelWithSilent[] = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];

export class LogLevelError extends Error {
  readonly code = "INVALID_LOG_LEVEL";
  constructor(readonly value: string) {
    super(`CROSSMARGIN_LOG_LEVEL: "${value}" is not a level; use one of ${LOG_LEVELS.join(", ")}`);
  }
}

export interface LoggerOptions {
  /** Default: env CROSSMARGIN_LOG_LEVEL, else "info". */
  level?: string;
  /** Default: stdout. Tests pass `{ write(line) }` to collect lines. */
  destination?: DestinationStream;
  /** Fields on every line (e.g. `{ component: "sequencer" }`). */
  base?: Record<string, unknown>;
}

export function createLogger(o: LoggerOptions = {}): Logger {
  const level = o.level ?? process.env.CROSSMARGIN_LOG_LEVEL ?? "info";
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new LogLevelError(level);
  return pino(
    {
      level,
      // pid only: the hostname says nothing on a loopback-only service.
      base: { pid: process.pid, ...o.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    o.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/**
 * A `logLine` sink (the poster, deriver and verifier emit JSON lines with `level` and
 * `event`) that re-emits each line through `log` at the line's own level, so every line of
 * the process has the same envelope. A line that is not JSON is logged as its `msg`.
 */
export function lineSink(log: Logger): (line: string) => void {
  return (line) => {
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      log.info({ msg: line });
      return;
    }
    if (typeof o !== "object" || o === null) return void log.info({ msg: line });
    const { level, ts: _ts, msg, ...fields } = o;
    const at = typeof level === "string" && (LOG_LEVELS as readonly string[]).includes(level) && level !== "silent" ? (level as Exclude<LevelWithSilent, "silent">) : "info";
    if (typeof msg === "string") log[at](fields, msg);
    else log[at](fields);
  };
}
