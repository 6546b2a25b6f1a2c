/** Progress reporting on stderr for the long-running subcommands (collect, eval). */
import { SingleBar } from 'cli-progress';

/**
 * Progress on stderr: a bar with ETA on a terminal, else a plain line every 5% (and at the end),
 * so logs of long runs stay readable.
 */
export class ProgressReporter {
  private bar: SingleBar | null = null;
  private lastPercent = -1;
  private readonly started = performance.now();

  constructor(
    private readonly label: string,
    private readonly tty: boolean,
    private readonly write: (line: string) => void,
  ) {}

  /** Reports one step; `extra` is a short status (e.g. rows written). */
  update(done: number, total: number, extra: string): void {
    if (this.tty) {
      if (!this.bar) {
        this.bar = new SingleBar({
          format: `${this.label} [{bar}] {value}/{total} | ETA {eta_formatted} | {extra}`,
          stream: process.stderr,
          hideCursor: true,
        });
        this.bar.start(total, 0, { extra });
      }
      this.bar.update(done, { extra });
      return;
    }
    const percent = total > 0 ? Math.floor((100 * done) / total) : 100;
    if (done < total && percent < this.lastPercent + 5) return;
    this.lastPercent = percent;
    const elapsed = (performance.now() - this.started) / 1000;
    const eta = done > 0 && done < total ? ` eta ${formatSeconds((elapsed * (total - done)) / done)}` : '';
    this.write(
      `[${this.label}] ${done}/${total} (${percent}%) ${extra} elapsed ${formatSeconds(elapsed)}${eta}\n`,
    );
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}

function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${Math.round(s - 60 * m)}s`;
  return `${Math.floor(m / 60)}h${m % 60}m`;
}
