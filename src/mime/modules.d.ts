// libmime, libqp and libbase64 ship no type declarations; only what the message model uses is declared.
declare module 'libmime' {
  export class Libmime {
    constructor(config?: Record<string, unknown>);
    decodeWords(value: string): string;
    parseHeaderValue(value: string): { value: string; params: Record<string, string> };
  }
}

declare module 'libqp' {
  /** Quoted-printable → bytes; a Buffer is read byte for byte ('binary'). */
  export function decode(input: string | Buffer): Buffer;
}

declare module 'libbase64' {
  /** Base64 → bytes; only a string is decoded (a Buffer would be copied as it is). */
  export function decode(input: string): Buffer;
}
