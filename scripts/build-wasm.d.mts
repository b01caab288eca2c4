export function buildGramWasm(): Promise<string>;
export function moduleSource(b64: string): string;
