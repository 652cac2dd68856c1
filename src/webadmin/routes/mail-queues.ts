// James /mailQueues: Tessera has one queue, James' `outgoing` (remote delivery: relayed mail and JMAP
// submissions). List its mails, delete them by name (queue id), sender or recipient, clear it, and
// flush the delayed ones (PATCH ?delayed=true {"delayed": false}) so the worker tries them now.
import type { OutboundItem } from '../../store/types.js';
import type { WebAdminDeps } from '../deps.js';
import { empty, error, STRING_LIST } from '../schemas.js';
import type { TaskLog } from '../tasks.js';
import { invalid, NO_CONTENT, notFound, type Schema, type WebAdminRoute } from '../types.js';

const TAG = 'Mail queues';
export const OUTGOING_QUEUE = 'outgoing';

const MAIL_SCHEMA: Schema = {
  type: 'object',
  required: ['name', 'sender', 'recipients'],
  properties: {
    name: { type: 'string' },
    sender: { type: 'string' },
    recipients: { type: 'array', items: { type: 'string' } },
    nextDelivery: { type: 'string', format: 'date-time' },
    attempts: { type: 'integer' },
    lastError: { type: ['string', 'null'] },
  },
};

const FILTERS = ['name', 'sender', 'recipient'] as const;

export function mailQueueRoutes({ store, wakeQueue }: WebAdminDeps, tasks: TaskLog): WebAdminRoute[] {
  const queued = (): Promise<OutboundItem[]> => store.listOutbound({ status: 'queued' });
  const checkQueue = (name: string): void => {
    if (name !== OUTGOING_QUEUE) throw notFound(`no mail queue ${name} (Tessera has one: ${OUTGOING_QUEUE})`);
  };
  const queueNotFound = error('No such queue');
  return [
    {
      method: 'GET',
      path: '/mailQueues',
      tag: TAG,
      summary: 'The mail queues',
      responses: { 200: { description: 'Queue names', schema: STRING_LIST } },
      handle: async () => ({ status: 200, body: [OUTGOING_QUEUE] }),
    },
    {
      method: 'GET',
      path: '/mailQueues/{mailQueueName}',
      tag: TAG,
      summary: 'A queue and how many mails wait in it',
      responses: {
        200: { description: 'The queue', schema: { type: 'object', required: ['name', 'size'], properties: { name: { type: 'string' }, size: { type: 'integer' } } } },
        404: queueNotFound,
      },
      handle: async ({ params }) => {
        checkQueue(params['mailQueueName']!);
        return { status: 200, body: { name: OUTGOING_QUEUE, size: (await queued()).length } };
      },
    },
    {
      method: 'GET',
      path: '/mailQueues/{mailQueueName}/mails',
      tag: TAG,
      summary: 'The mails waiting in a queue',
      query: [{ name: 'limit', description: 'At most this many (default 100)', schema: { type: 'integer', minimum: 1 } }],
      responses: { 200: { description: 'Mails, oldest first', schema: { type: 'array', items: MAIL_SCHEMA } }, 400: error('Invalid limit'), 404: queueNotFound },
      handle: async ({ params, query }) => {
        checkQueue(params['mailQueueName']!);
        const raw = query.get('limit');
        const limit = raw === null ? 100 : Number(raw);
        if (!Number.isSafeInteger(limit) || limit < 1) throw invalid('limit must be a positive integer');
        const items = (await queued()).slice(0, limit);
        return {
          status: 200,
          body: items.map((i) => ({
            name: i.id,
            sender: i.sender,
            recipients: i.recipients.filter((r) => r.status === 'pending').map((r) => r.address),
            nextDelivery: i.nextAttemptAt.toISOString(),
            attempts: i.attempts,
            lastError: i.lastError,
          })),
        };
      },
    },
    {
      method: 'DELETE',
      path: '/mailQueues/{mailQueueName}/mails',
      tag: TAG,
      summary: 'Delete the mails of a queue matching one of name, sender or recipient; all of them without a filter',
      query: FILTERS.map((name) => ({ name, description: `Mails whose ${name} is this`, schema: { type: 'string' } })),
      responses: {
        201: { description: 'Done; the task says how many remain', schema: { type: 'object', required: ['taskId'], properties: { taskId: { type: 'string' } } } },
        400: error('More than one filter'),
        404: queueNotFound,
      },
      handle: async ({ params, query }) => {
        checkQueue(params['mailQueueName']!);
        const given = FILTERS.filter((f) => query.has(f));
        if (given.length > 1) throw invalid(`give one of ${FILTERS.join(', ')}, not several`);
        const filter = given[0];
        const value = filter ? query.get(filter)! : undefined;
        const matches = (i: OutboundItem): boolean =>
          filter === undefined ||
          (filter === 'name' && i.id === value) ||
          (filter === 'sender' && i.sender.toLowerCase() === value!.toLowerCase()) ||
          (filter === 'recipient' && i.recipients.some((r) => r.status === 'pending' && r.address.toLowerCase() === value!.toLowerCase()));
        const task = await tasks.run(filter ? 'delete-mails-from-mail-queue' : 'clear-mail-queue', async () => {
          const before = await queued();
          for (const item of before.filter(matches)) await store.removeOutbound(item.id);
          return {
            mailQueueName: OUTGOING_QUEUE,
            initialCount: before.length,
            remainingCount: (await queued()).length,
            ...(filter ? { [filter]: value! } : {}),
          };
        });
        return { status: 201, body: { taskId: task.taskId } };
      },
    },
    {
      method: 'PATCH',
      path: '/mailQueues/{mailQueueName}/mails',
      tag: TAG,
      summary: 'Flush: with ?delayed=true and {"delayed": false}, every delayed mail is due now',
      query: [{ name: 'delayed', description: 'Must be true', schema: { type: 'string', enum: ['true'] } }],
      body: { type: 'object', required: ['delayed'], properties: { delayed: { type: 'boolean', enum: [false] } } },
      responses: { 204: empty('Flushed'), 400: error('Not a flush request'), 404: queueNotFound },
      handle: async ({ params, query, body }) => {
        checkQueue(params['mailQueueName']!);
        if (query.get('delayed') !== 'true' || (body as { delayed?: unknown } | null)?.delayed !== false) {
          throw invalid('flush with PATCH ?delayed=true and the body {"delayed": false}');
        }
        await store.rescheduleOutbound(new Date());
        wakeQueue();
        return NO_CONTENT;
      },
    },
  ];
}
