// A line as a socket delivers it when the peer sends one byte per TCP segment, with every LF search
// made on those reads counted: how tests show that a line reader looks at each read a bounded
// number of times instead of rescanning everything buffered at every read.

export interface SearchCount {
  searches: number;
}

/** One Buffer per byte of `text`; `count.searches` goes up at each indexOf on any of them. */
export function trickle(text: string, count: SearchCount): Buffer[] {
  return [...Buffer.from(text, 'latin1')].map((byte) => {
    const read = Buffer.from([byte]);
    const indexOf = read.indexOf.bind(read);
    Object.defineProperty(read, 'indexOf', {
      value: (...args: Parameters<Buffer['indexOf']>) => {
        count.searches++;
        return indexOf(...args);
      },
    });
    return read;
  });
}
