/**
 * Collects a command's output up to a byte limit. Past the limit bytes are counted and dropped
 * (the stream keeps draining so the remote side never blocks), and the text ends with a marker
 * saying how much was dropped.
 */
export class BoundedOutput {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private dropped = 0;

  constructor(private readonly limitBytes: number) {}

  push(chunk: Buffer): void {
    const room = this.limitBytes - this.kept;
    if (room >= chunk.length) {
      this.chunks.push(chunk);
      this.kept += chunk.length;
      return;
    }
    if (room > 0) {
      this.chunks.push(chunk.subarray(0, room));
      this.kept += room;
    }
    this.dropped += chunk.length - Math.max(room, 0);
  }

  get truncated(): boolean {
    return this.dropped > 0;
  }

  /** Everything received so far, without the truncation marker. */
  peek(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }

  text(): string {
    const body = this.peek();
    return this.dropped > 0 ? `${body}\n${truncationMarker(this.dropped)}\n` : body;
  }
}

/** The marker appended to truncated output. */
export function truncationMarker(droppedBytes: number): string {
  return `[plinth: output truncated, ${droppedBytes} more bytes not kept]`;
}
