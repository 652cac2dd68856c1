// Progress output for long imports: a redrawn bar on a terminal, a line every N messages otherwise
// (so logs and pipes stay readable).
export class Progress {
  private lastDraw = 0;
  private lastLine = 0;

  constructor(
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
    /** In the unit of `done` (bytes of an mbox file, or files of a Maildir). */
    private readonly total: number,
    /** What is counted, in the output ("messages", or "rows" for a database copy). */
    private readonly unit = 'messages',
  ) {}

  update(done: number, messages: number): void {
    if (this.out.isTTY) {
      const now = Date.now();
      if (now - this.lastDraw < 100 && done < this.total) return;
      this.lastDraw = now;
      const ratio = this.total > 0 ? Math.min(1, done / this.total) : 1;
      const width = 30;
      const filled = Math.round(ratio * width);
      this.out.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(ratio * 100)).padStart(3)}%  ${messages} ${this.unit}`);
    } else if (messages - this.lastLine >= 1000) {
      this.lastLine = messages;
      this.out.write(`${messages} ${this.unit} imported\n`);
    }
  }

  finish(): void {
    if (this.out.isTTY) this.out.write('\n');
  }
}
