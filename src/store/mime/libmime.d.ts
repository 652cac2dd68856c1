// libmime ships no type declarations; only what the store uses is declared.
declare module 'libmime' {
  export class Libmime {
    constructor(config?: Record<string, unknown>);
    decodeWords(value: string): string;
    parseHeaderValue(value: string): { value: string; params: Record<string, string> };
  }
}
