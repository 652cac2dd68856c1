// Small response writers so every endpoint answers with the same headers and problem format.
import type { ServerResponse } from 'node:http';
import type { ProblemDetails } from '../errors.js';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, no-store, must-revalidate',
    ...headers,
  });
  res.end(text);
}

export function sendProblem(res: ServerResponse, problem: ProblemDetails, headers: Record<string, string | string[]> = {}): void {
  const text = JSON.stringify(problem);
  res.writeHead(problem.status, {
    'Content-Type': 'application/problem+json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function plainProblem(status: number, detail: string, type = 'about:blank'): ProblemDetails {
  return { type, status, detail };
}
