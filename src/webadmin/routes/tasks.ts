// James /tasks: the tasks WebAdmin started (see ../tasks.ts), completed by the time they are listed.
import type { JsonValue } from '../../store/types.js';
import { error } from '../schemas.js';
import type { CompletedTask, TaskLog } from '../tasks.js';
import { jsonOf, notFound, type Schema, type WebAdminRoute } from '../types.js';

const TAG = 'Tasks';

export const TASK_SCHEMA: Schema = {
  type: 'object',
  required: ['taskId', 'type', 'status'],
  properties: {
    taskId: { type: 'string' },
    type: { type: 'string' },
    status: { type: 'string', enum: ['completed', 'failed'] },
    submitDate: { type: 'string', format: 'date-time' },
    startedDate: { type: 'string', format: 'date-time' },
    completedDate: { type: 'string', format: 'date-time' },
    additionalInformation: { type: 'object' },
  },
};

const json = (t: CompletedTask): JsonValue => jsonOf(t);

export function taskRoutes(tasks: TaskLog): WebAdminRoute[] {
  const one = (path: string, summary: string): WebAdminRoute => ({
    method: 'GET',
    path,
    tag: TAG,
    summary,
    responses: { 200: { description: 'The task', schema: TASK_SCHEMA }, 404: error('No such task') },
    handle: async ({ params }) => {
      const task = tasks.get(params['taskId']!);
      if (!task) throw notFound(`task ${params['taskId']} is unknown (only the last tasks are kept)`);
      return { status: 200, body: json(task) };
    },
  });
  return [
    {
      method: 'GET',
      path: '/tasks',
      tag: TAG,
      summary: 'The last tasks',
      responses: { 200: { description: 'Tasks, oldest first', schema: { type: 'array', items: TASK_SCHEMA } } },
      handle: async () => ({ status: 200, body: tasks.list().map(json) }),
    },
    one('/tasks/{taskId}', 'One task'),
    one('/tasks/{taskId}/await', 'Wait for a task to end (they end before their id is given)'),
  ];
}
