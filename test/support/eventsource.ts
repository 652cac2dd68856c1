// A real EventSource client (the `eventsource` package) for push tests: sends the Authorization
// header on its requests and resolves once the stream is open, under a deadline.
import { EventSource } from 'eventsource';
import { withDeadline } from './wait.js';

export async function connectEventSource(url: string, authorization: string, ms = 5000): Promise<EventSource> {
  const es = new EventSource(url, {
    fetch: (u, init) => fetch(u, { ...init, headers: { ...(init?.headers as Record<string, string>), Authorization: authorization } }),
  });
  try {
    await withDeadline(new Promise<void>((resolve, reject) => {
      es.onopen = () => resolve();
      es.onerror = (e) => reject(new Error(`eventsource error ${String(e.message)}`));
    }), ms, `the EventSource ${url} to open`);
  } catch (err) {
    es.close();
    throw err;
  }
  return es;
}
