/** Training progress on stderr: a redrawn bar on a terminal, one plain line per iteration otherwise. */
export class Progress {
  private readonly tty: boolean;
  private lastLen = 0;
  constructor(
    private readonly total: number,
    private readonly label: string,
    private readonly enabled = true,
    stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = !!stream.isTTY;
    this.stream = stream;
  }
  private readonly stream: NodeJS.WriteStream;

  update(done: number, detail: string): void {
    if (!this.enabled) return;
    if (this.tty) {
      const width = 24;
      const filled = this.total > 0 ? Math.round((width * Math.min(done, this.total)) / this.total) : width;
      const line = `${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${this.total} ${detail}`;
      this.stream.write(`\r${line}${' '.repeat(Math.max(0, this.lastLen - line.length))}`);
      this.lastLen = line.length;
    } else {
      this.stream.write(`${this.label} ${done}/${this.total} ${detail}\n`);
    }
  }

  done(): void {
    if (this.enabled && this.tty && this.lastLen) this.stream.write('\n');
    this.lastLen = 0;
  }
}
